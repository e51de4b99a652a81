/** Errors of the local event-source-mapping runtime. */

/**
 * A local emulator answered a call of the runtime with an error (`name` is the error type it
 * answered, e.g. `ExpiredIteratorException`), or no answer came.
 */
export class EmulatorCallError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when no answer came. */
    readonly statusCode: number,
    name = 'EmulatorCallError',
  ) {
    super(message);
    this.name = name;
  }

  /** The error of an emulator's error answer (`{"__type": "…#Code", "message": "…"}`). */
  static fromAnswer(operation: string, statusCode: number, answer: unknown): EmulatorCallError {
    const fields = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {};
    const type = typeof fields.__type === 'string' ? (fields.__type.split('#').at(-1) ?? '') : '';
    const text = fields.message ?? fields.Message;
    const message = `${operation}: ${typeof text === 'string' ? text : `HTTP ${statusCode}`}`;
    return new EmulatorCallError(message, statusCode, type || 'EmulatorCallError');
  }
}
