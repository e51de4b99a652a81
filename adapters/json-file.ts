import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { JsonSyntaxError, UsageError } from '../core/errors.js';
import { type JsonSequenceValue, parseJson, parseJsonValues } from '../core/json-text.js';

/** Reading JSON files people hand to the CLI, the CDK app and the local stack: errors name the file, line and column. */

/**
 * The largest file read as a config (or any JSON input but profile documents): a destination config
 * is a few kilobytes; a larger one is a wrong path (a log, a dump, a device).
 */
export const MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;

/** The largest file of profile documents `profile put --file` reads at once. */
export const MAX_DOCUMENTS_FILE_BYTES = 256 * 1024 * 1024;

function mib(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${bytes.toLocaleString('en-US')} bytes`
    : `${(bytes / 1024 / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;
}

function cannotRead(path: string, what: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory'
        : code === 'EACCES'
          ? 'permission denied'
          : String(error);
  return new UsageError(`${what} "${path}": cannot read: ${reason}`, { cause: error });
}

/**
 * Reads a UTF-8 file of at most `maxBytes` (default {@link MAX_CONFIG_FILE_BYTES}). Only a regular
 * file is read: a device (`/dev/zero`), a FIFO or a socket could stream forever or block, so it is
 * refused before it is opened; a file larger than the limit is refused from its size, and the read
 * itself stops at the limit (a file that grows while read).
 * @throws UsageError naming the file and the reason.
 */
export function readTextFile(path: string, what: string, maxBytes: number = MAX_CONFIG_FILE_BYTES): string {
  const tooLarge = () =>
    new UsageError(
      `${what} "${path}": larger than ${mib(maxBytes)}, the most read from such a file; check the path`,
    );
  let size: number;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) {
      throw new UsageError(
        `${what} "${path}": not a regular file (a device, pipe or socket); save the content to a file and give its path`,
      );
    }
    size = stats.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(path, what, error);
  }
  if (size > maxBytes) throw tooLarge();
  let fd: number;
  try {
    // Non-blocking: should the path have become a FIFO since the stat, opening it does not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw cannotRead(path, what, error);
  }
  try {
    if (!fstatSync(fd).isFile()) {
      throw new UsageError(
        `${what} "${path}": not a regular file (a device, pipe or socket); save the content to a file and give its path`,
      );
    }
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, maxBytes + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > maxBytes) throw tooLarge();
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(path, what, error);
  } finally {
    closeSync(fd);
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
  const text = readTextFile(path, what, MAX_DOCUMENTS_FILE_BYTES);
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
