/**
 * Errors raised by the pure decision core. Each carries a message an operator can act on:
 * what is wrong, where, and how to fix it.
 */

/** A destination config file failed validation. `issues` holds one line per problem. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options?: { cause?: unknown }) {
    super(`invalid destination config:\n  - ${issues.join('\n  - ')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A profile document (or a stored profile image) failed validation. */
export class ProfileValidationError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options?: { cause?: unknown }) {
    super(`invalid profile:\n  - ${issues.join('\n  - ')}`, options);
    this.name = 'ProfileValidationError';
    this.issues = issues;
  }
}

/**
 * Bad input from a person: an unreadable file, invalid JSON, a document that fails its schema.
 * The CLI prints the message alone (no stack trace) and exits with code 2.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * JSON text that is not valid JSON: the reason and where, as 1-based line and column (a column
 * counts UTF-16 code units, as editors do for most text).
 */
export class JsonSyntaxError extends Error {
  readonly reason: string;
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  constructor(reason: string, text: string, offset: number) {
    let line = 1;
    let lineStart = 0;
    for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      line += 1;
      lineStart = i + 1;
    }
    const column = offset - lineStart + 1;
    super(`${reason} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
    this.reason = reason;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/**
 * An item of the state table that is not the record its key says (core/state-records.ts): the
 * message names the key, each malformed field, and what to do.
 */
export class StateRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateRecordError';
  }
}
