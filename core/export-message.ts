import { createHash } from 'node:crypto';
import { z } from 'zod';
import { REASON_CODES } from './reasons.js';

/**
 * The export queue's message body: one export of one profile to one destination.
 *
 * Producers: the decide function (live changes) and the backfill. Consumer: the export function.
 * A message that reaches the dead-letter queue is this same body; the failure detail (last error,
 * attempts, first and last failure time) is kept in the state table under `failure#<exportId>`
 * and joined by `dlq list`.
 */

export const exportMessageSchema = z.object({
  /** Envelope version. */
  v: z.literal(1),
  /** Stable id of this export: hash of the source event id and the destination id. */
  exportId: z.string().min(1),
  destinationId: z.string().min(1),
  profileId: z.string().min(1).max(256),
  /**
   * The profile's version (the writer's `__kd.v`) that this document reflects; 0 when the
   * profile was not written by the profile writer. Used to skip exports a newer delivered
   * export has superseded (redrive, backfill).
   */
  profileVersion: z.number().int().nonnegative(),
  reasons: z.array(z.enum(REASON_CODES)).min(1),
  /** The DynamoDB Streams eventID, or `backfill:<run>:<profileId>` for backfill exports. */
  sourceEventId: z.string().min(1),
  /** Epoch ms of the change: the stream record's ApproximateCreationDateTime (backfill: scan time). */
  sourceTime: z.number().int().nonnegative(),
  /** Epoch ms when the message was queued. */
  queuedAt: z.number().int().nonnegative(),
  /** The export document in the source page's exact shape; becomes the Kinesis record's data. */
  document: z.record(z.string(), z.unknown()),
});

export type ExportMessage = z.infer<typeof exportMessageSchema>;

/** SQS FIFO MessageGroupId: one group per destination and profile (max 128 characters). */
export function messageGroupIdFor(destinationId: string, profileId: string): string {
  const plain = `${destinationId}:${profileId}`;
  if (plain.length <= 128 && /^[\x21-\x7e]+$/.test(plain)) return plain;
  return `${destinationId}:${createHash('sha256').update(profileId).digest('base64url')}`;
}

/** Stable export id, also used as the FIFO MessageDeduplicationId. */
export function exportIdFor(sourceEventId: string, destinationId: string): string {
  return createHash('sha256').update(`${sourceEventId}\u0000${destinationId}`).digest('hex').slice(0, 40);
}

/**
 * An SQS message body: JSON, with the two characters JSON leaves as they are but SQS refuses
 * (U+FFFE, U+FFFF) written as escapes.
 */
export function toSqsJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
