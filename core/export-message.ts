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
 * A message that reaches the dead-letter queue is this same body: the export function moves it there
 * on its last attempt with its failure as message attributes (`core/dead-letter.ts`); for one the
 * queue's redrive policy moved, `dlq list` joins the state table's `failure#<exportId>` record.
 */

const envelope = {
  /** Stable id of this export: hash of the source event id and the destination id. */
  exportId: z.string().min(1),
  destinationId: z.string().min(1),
  profileId: z.string().min(1).max(256),
  /**
   * The profile's version (the writer's `__kd.v`) that this document reflects; 0 when the
   * profile was not written by the profile writer. An extra check of the delivery ledger
   * (core/staleness.ts), which orders every writer's exports without it.
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

/**
 * Envelope version 3: version 2's fields, carried so that the document is not a JSON string inside the
 * body but the body's last member, `"document":` followed by its exact JSON text — no escaping, so ten
 * messages of a ~6 KB document fit one 64 KB SQS request chunk (version 2's escaped quotes add about
 * 7 %, and two chunks per batch cost a send and a receive request more per ten exports). The body is
 * plain JSON (the console shows the document as an object); {@link readExportMessage} takes the exact
 * text back out of it, and {@link exportMessageBody} writes it.
 */
export const exportMessageV3Schema = z.object({
  v: z.literal(3),
  ...envelope,
  /** The export document's JSON text, exact: the Kinesis record's data, byte for byte. */
  documentJson: z.string().regex(/^\{/, 'must be the JSON text of the export document (an object)'),
});

/** The export queue's message body, any envelope version; producers write version 3. */
export const exportMessageSchema = z.discriminatedUnion('v', [
  exportMessageV1Schema,
  exportMessageV2Schema,
  exportMessageV3Schema,
]);

const DOCUMENT_MEMBER = ',"document":';

/** SQS refuses U+FFFE and U+FFFF in a body: written as JSON escapes. */
function sqsSafeJson(text: string): string {
  return text.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** What may be an escape of {@link sqsSafeJson} (or a user's escaped backslash before `ufffe`). */
const MAYBE_SQS_ESCAPE = /\\u[fF]{3}[eEfF]/;

/** The exact document text of a version 3 body: undoes {@link sqsSafeJson}'s escapes (and only them). */
function restoreSqsEscapes(text: string): string {
  // Almost no document has one: returned as it is, not copied character by character (25 µs for 6 KB).
  if (!MAYBE_SQS_ESCAPE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const hex = text.slice(i + 2, i + 6).toLowerCase();
    if (text[i + 1] === 'u' && (hex === 'fffe' || hex === 'ffff')) {
      // JSON.stringify never escapes these two, so an escape of them is ours.
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 5;
    } else {
      out += c + (text[i + 1] ?? '');
      i += 1;
    }
  }
  return out;
}

/**
 * The message an export queue body holds, ready for {@link exportMessageSchema}: the parsed JSON,
 * with a version 3 body's document taken back out as its exact text (`documentJson`).
 * @throws SyntaxError when the body is not JSON.
 */
export function readExportMessage(body: string): unknown {
  const value: unknown = JSON.parse(body);
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== 3) return value;
  // The envelope's strings cannot hold an unescaped quote, so the first `,"document":` is the member.
  const at = body.indexOf(DOCUMENT_MEMBER);
  if (at < 0 || !body.endsWith('}')) return value;
  const { document: _parsed, ...envelope } = value as Record<string, unknown>;
  return { ...envelope, documentJson: restoreSqsEscapes(body.slice(at + DOCUMENT_MEMBER.length, -1)) };
}

/**
 * The export queue body of a message: version 3 with the document spliced in as the last member;
 * versions 1 and 2 as plain JSON. Characters SQS refuses are escaped.
 */
export function exportMessageBody(message: ExportMessage): string {
  if (message.v !== 3) return toSqsJson(message);
  const { documentJson, ...envelope } = message;
  return `${toSqsJson(envelope).slice(0, -1)}${DOCUMENT_MEMBER}${sqsSafeJson(documentJson)}}`;
}

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
  /** The message body: {@link exportMessageBody} of the message. */
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
    v: 3,
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
  const body = exportMessageBody(message);
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
 * The Kinesis record's data of an export message: version 2's or 3's document text as it is, version 1's
 * document written as JSON.
 */
export function exportDocumentJson(message: ExportMessage): string {
  return message.v === 1 ? stringifyExact(message.document) : message.documentJson;
}

/**
 * The export document of a message as a value, numbers exact (for `dlq list` and tests).
 * @throws JsonSyntaxError when a version 2 document is not JSON (the schema only checks its start).
 */
export function exportDocumentOf(message: ExportMessage): ExportDocument {
  return message.v === 1 ? message.document : (parseJson(message.documentJson) as ExportDocument);
}
