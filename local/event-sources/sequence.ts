/** Ordering of the sequence numbers DynamoDB Streams and SQS FIFO hand out. */

/**
 * Compares two sequence numbers: decimal strings of arbitrary length, so a shorter one is smaller
 * and equal lengths compare as text. Negative, zero or positive, as `Array.prototype.sort` wants.
 */
export function compareSequence(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
