/** Errors raised by the functions. */

/** A function's environment is missing or malformed: raised at cold start, names the variable. */
export class EnvironmentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvironmentError';
  }
}

/** At least one destination failed the deploy-time connection check; the message becomes the stack event reason. */
export class ConnectionCheckError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionCheckError';
  }
}

/** The backfill cannot start or continue. */
export class BackfillError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackfillError';
  }
}
