import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';

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

function jsonErrorLocation(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /position (\d+)/.exec(message);
  if (match === null) return message;
  const position = Number(match[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

/** Parses JSON text. @throws UsageError with the file, line and column of the syntax error. */
export function parseJsonText(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} "${path}": invalid JSON: ${jsonErrorLocation(text, error)}`, {
      cause: error,
    });
  }
}

/** Reads and parses a JSON file. @throws UsageError */
export function readJsonFile(path: string, what: string): unknown {
  return parseJsonText(readTextFile(path, what), path, what);
}

/**
 * Reads documents from a file holding one JSON document, a JSON array of documents, or NDJSON.
 * @throws UsageError naming the file and the line of the first invalid line.
 */
export function readDocuments(path: string, what: string): unknown[] {
  const text = readTextFile(path, what);
  const trimmed = text.trim();
  if (trimmed.length === 0)
    throw new UsageError(
      `${what} "${path}": the file is empty; give one JSON document, a JSON array or NDJSON`,
    );
  try {
    const whole: unknown = JSON.parse(trimmed);
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    // Not a single document: read it as NDJSON, one document per non-empty line.
  }
  const documents: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim().length === 0) return;
    try {
      documents.push(JSON.parse(line));
    } catch (error) {
      throw new UsageError(
        `${what} "${path}": line ${i + 1} is not valid JSON (${error instanceof Error ? error.message : String(error)}); the file must hold one JSON document, a JSON array, or one document per line (NDJSON)`,
        { cause: error },
      );
    }
  });
  return documents;
}
