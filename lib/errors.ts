/**
 * Errors raised while building the constructs (at synth time). Each message says what is wrong and
 * how to fix it.
 */

/** Options of {@link KinesisDestinationPropsError}. */
export interface KinesisDestinationPropsErrorOptions {
  readonly cause?: unknown;
  /** What the issues are about, e.g. `KinesisDestination Team/Pipeline` (the message starts with it). */
  readonly subject?: string;
}

/**
 * `KinesisDestination` props that are invalid or cannot work together, or an existing resource that
 * does not fit. `issues` holds every problem found, one line each with its prop path and the fix:
 * the construct collects them all before it throws.
 */
export class KinesisDestinationPropsError extends Error {
  readonly issues: readonly string[];
  constructor(issues: string | readonly string[], options: KinesisDestinationPropsErrorOptions = {}) {
    const list = typeof issues === 'string' ? [issues] : [...issues];
    const body =
      list.length === 1 ? (list[0] as string) : `${list.length} problems:\n  - ${list.join('\n  - ')}`;
    super(options.subject === undefined ? body : `${options.subject}: ${body}`, { cause: options.cause });
    this.name = 'KinesisDestinationPropsError';
    this.issues = list;
  }
}
