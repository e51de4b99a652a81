/** Errors raised by the I/O adapters. Each message says what is wrong and how to fix it. */

import { redactCredentials } from '../core/redaction.js';

/** A destination's credentials cannot be obtained: the role gave none, or the secret holds no access key. */
export class DestinationCredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DestinationCredentialsError';
  }
}

/** Raised when a profile kept changing under the writer (too many concurrent writers of one profile). */
export class ProfileWriteConflictError extends Error {
  constructor(profileId: string, attempts: number, options?: { cause?: unknown }) {
    super(
      `profile "${profileId}": still changed by another writer after ${attempts} attempts; retry the write`,
      options,
    );
    this.name = 'ProfileWriteConflictError';
  }
}

/**
 * `Name: message` of a caught error, for a report row or a failed check, with access key ids and
 * session tokens taken out (core/redaction.ts): an AWS error can quote the request's signed headers.
 */
export function describeError(error: unknown): string {
  return redactCredentials(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
