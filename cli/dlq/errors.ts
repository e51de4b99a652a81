/** Errors of the `dlq` commands. */

/** The move task is still running after the wait; the operator can follow it with `aws sqs list-message-move-tasks`. */
export class RedriveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedriveError';
  }
}
