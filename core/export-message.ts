import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ExportDecision } from './decide.js';
import { parseJson, stringifyExact } from './json-text.js';
import type { ExportDocument } from './payload.js';
import { REASON_CODES, type ReasonCode } from './reasons.js';

/**
 * The export queue's message body: one export of one profile to one destination.
 *
 * Producers: the decide function (live changes) and the backfill. Consumer: the export function.
 * A message that reaches the dead-letter queue is this same body; the failure detail (last error,
 * attempts, first and last failure time) is kept in the state table under `failure#<exportId>`
 * and joined by `dlq list`.
 */

const envelope = {
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
};

/**
 * Envelope version 1 (written before exact numbers): the document as a JSON object. Still accepted,
 * so a dead-letter queue written by older code can be redriven; its numbers are what `JSON.parse`
 * made of them.
 */
export const exportMessageV1Schema = z.object({
  v: z.literal(1),
  ...envelope,
  /** The export document in the source page's exact shape; becomes the Kinesis record's data. */
  document: z.record(z.string(), z.unknown()),
});

/**
 * Envelope version 2: the document as its exact JSON text, so a number keeps every digit DynamoDB
 * stores on its way through the queue (a JSON parser would round it to a double).
 */
export const exportMessageV2Schema = z.object({
  v: z.literal(2),
  ...envelope,
  /** The export document's JSON text, in the source page's exact shape: the Kinesis record's data, byte for byte. */
  documentJson: z.string().regex(/^\{/, 'must be the JSON text of the export document (an object)'),
});

/** The export queue's message body, either envelope version; producers write version 2. */
export const exportMessageSchema = z.discriminatedUnion('v', [exportMessageV1Schema, exportMessageV2Schema]);

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

/** The source event id of a backfill export: one per run and profile, so a resumed run reuses it. */
export function backfillSourceEventId(runId: string, profileId: string): string {
  return `backfill:${runId}:${profileId}`;
}

/** Where an exported change comes from. */
export interface ExportSource {
  /** The DynamoDB Streams eventID, or {@link backfillSourceEventId} for a backfill. */
  readonly sourceEventId: string;
  readonly profileId: string;
  /** Epoch ms of the change (the stream record's ApproximateCreationDateTime; backfill: scan time). */
  readonly sourceTime: number;
  /** Epoch ms of queuing. */
  readonly queuedAt: number;
}

/** An export message and its FIFO export queue entry. */
export interface QueuedExport {
  readonly message: ExportMessage;
  /** The message body: {@link toSqsJson} of the message. */
  readonly body: string;
  /** UTF-8 size of the body. */
  readonly bytes: number;
  /** {@link messageGroupIdFor} the destination and profile. */
  readonly groupId: string;
  /** The export id. */
  readonly deduplicationId: string;
}

/**
 * The one builder of export messages (the decide function's live changes and the backfill): the
 * envelope of an export decision, its export id, and the body, group and deduplication id the
 * export queue takes. Never throws.
 */
export function buildExportMessage(decision: ExportDecision, source: ExportSource): QueuedExport {
  const reasons = decision.reasons.flatMap((r): ReasonCode[] => (r.code === 'no-export' ? [] : [r.code]));
  const message: ExportMessage = {
    v: 2,
    exportId: exportIdFor(source.sourceEventId, decision.destinationId),
    destinationId: decision.destinationId,
    profileId: source.profileId,
    profileVersion: decision.profileVersion,
    reasons,
    sourceEventId: source.sourceEventId,
    sourceTime: source.sourceTime,
    queuedAt: source.queuedAt,
    documentJson: decision.documentJson,
  };
  const body = toSqsJson(message);
  return {
    message,
    body,
    bytes: Buffer.byteLength(body, 'utf8'),
    groupId: messageGroupIdFor(decision.destinationId, source.profileId),
    deduplicationId: message.exportId,
  };
}

/**
 * An SQS message body: JSON, with the two characters JSON leaves as they are but SQS refuses
 * (U+FFFE, U+FFFF) written as escapes.
 */
export function toSqsJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/**
 * The Kinesis record's data of an export message: version 2's document text as it is, version 1's
 * document written as JSON.
 */
export function exportDocumentJson(message: ExportMessage): string {
  return message.v === 2 ? message.documentJson : stringifyExact(message.document);
}

/**
 * The export document of a message as a value, numbers exact (for `dlq list` and tests).
 * @throws JsonSyntaxError when a version 2 document is not JSON (the schema only checks its start).
 */
export function exportDocumentOf(message: ExportMessage): ExportDocument {
  return message.v === 2 ? (parseJson(message.documentJson) as ExportDocument) : message.document;
}
