/**
 * Errors raised while building the constructs (at synth time). Each message says what is wrong and
 * how to fix it; invalid destinations and catalogs raise the core's `ConfigError` instead.
 */

/** `KinesisDestination` props that cannot work together, or an existing resource that does not fit. */
export class KinesisDestinationPropsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KinesisDestinationPropsError';
  }
}
