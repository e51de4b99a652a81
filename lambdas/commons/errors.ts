/** Errors raised by the I/O helpers shared by the functions. */

/** A function's environment is missing or malformed: raised at cold start, names the variable. */
export class EnvironmentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvironmentError';
  }
}
