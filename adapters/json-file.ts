import { readFileSync } from 'node:fs';
import { JsonSyntaxError, UsageError } from '../core/errors.js';
import { type JsonSequenceValue, parseJson, parseJsonValues } from '../core/json-text.js';

/** Reading JSON files people hand to the CLI, the CDK app and the local stack: errors name the file, line and column. */

/** Reads a UTF-8 file. @throws UsageError naming the file and the reason. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(error);
    throw new UsageError(`${what} "${path}": cannot read: ${reason}`, { cause: error });
  }
}

function invalidJson(what: string, path: string, error: unknown): UsageError {
  if (!(error instanceof JsonSyntaxError)) throw error;
  return new UsageError(`${what} "${path}": invalid JSON: ${error.message}`, { cause: error });
}

/**
 * Parses JSON text, numbers exact (`parseJson`: a number beyond a double's precision keeps its digits).
 * @throws UsageError with the file, line and column of the syntax error.
 */
export function parseJsonText(text: string, path: string, what: string): unknown {
  try {
    return parseJson(text);
  } catch (error) {
    throw invalidJson(what, path, error);
  }
}

/** Reads and parses a JSON file, numbers exact. @throws UsageError */
export function readJsonFile(path: string, what: string): unknown {
  return parseJsonText(readTextFile(path, what), path, what);
}

/**
 * Reads documents from a file holding one JSON document, a JSON array of documents, or a sequence of
 * documents (NDJSON, or pretty-printed documents one after another), numbers exact.
 * @throws UsageError naming the file, line and column of the first syntax error.
 */
export function readDocuments(path: string, what: string): unknown[] {
  const text = readTextFile(path, what);
  let values: JsonSequenceValue[];
  try {
    values = parseJsonValues(text);
  } catch (error) {
    throw invalidJson(what, path, error);
  }
  const [first] = values;
  if (first === undefined)
    throw new UsageError(
      `${what} "${path}": the file is empty; give one JSON document, a JSON array or NDJSON`,
    );
  if (values.length === 1 && Array.isArray(first.value)) return first.value;
  return values.map((v) => v.value);
}
