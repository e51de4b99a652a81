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
