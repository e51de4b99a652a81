import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ExportDecision } from './decide.js';
import { parseJson } from './json-text.js';
import type { ExportDocument } from './payload.js';
import { REASON_CODES, type ReasonCode } from './reasons.js';

/**
 * The export queue's message body: one export of one profile to one destination.
 *
 * Producers: the decide function (live changes) and the backfill. Consumer: the export function.
 * A message that reaches the dead-letter queue is this same body: the export function moves it there
 * on its last attempt with its failure as message attributes (`core/dead-letter.ts`); for one the
 * queue's redrive policy moved, `dlq list` joins the state table's failure record of the export.
 */

/**
 * The export queue's message body (envelope version 3, the only one read): the envelope's fields,
 * then the export document as the body's last member, `"document":` followed by its exact JSON text —
 * no escaping, so ten messages of a ~6 KB document fit one 64 KB SQS request chunk, and a number keeps
 * every digit DynamoDB stores (a JSON parser would round it to a double). The body is plain JSON (the
 * console shows the document as an object); {@link readExportMessage} takes the exact text back out of
 * it as `documentJson`, and {@link exportMessageBody} writes it. Versions 1 and 2 (the document as an
 * object, or as an escaped string) are no longer read: the package has no deployed users whose queues
 * could still hold them.
 */
export const exportMessageSchema = z.object({
  v: z.literal(3, 'must be 3: the only export envelope version this code reads'),
  /** Stable id of this export: hash of the source event id and the destination id. */
  exportId: z.string().min(1),
  destinationId: z.string().min(1),
  /**
   * The profile id: the Kinesis partition key. Not limited here: an id Kinesis refuses
   * (core/partition-key.ts) is the export's own failure (`InvalidRecord`), not an unreadable message.
   */
  profileId: z.string().min(1),
  /**
   * The profile's version (the writer's `__kd.v`) that this document reflects; 0 when the
   * profile was not written by the profile writer. An extra check of the delivery ledger
   * (core/staleness.ts), which orders every writer's exports without it.
   */
  profileVersion: z.number().int().nonnegative(),
  reasons: z.array(z.enum(REASON_CODES)).min(1),
  /** The DynamoDB Streams eventID, or `backfill:<run>:<profileId>` for backfill exports. */
  sourceEventId: z.string().min(1),
  /**
   * Epoch ms of the change: the profile writer's stamp (`__kd.at`) of a change it made, else the stream
   * record's ApproximateCreationDateTime (backfill: scan time). The latency metrics count from it.
   */
  sourceTime: z.number().int().nonnegative(),
  /** Epoch ms when the message was queued. */
  queuedAt: z.number().int().nonnegative(),
  /** The export document's JSON text, exact: the Kinesis record's data, byte for byte. */
  documentJson: z.string().regex(/^\{/, 'must be the JSON text of the export document (an object)'),
});

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
 * with the document taken back out as its exact text (`documentJson`). A body of another version is
 * returned as parsed, for the schema to refuse.
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
 * The export queue body of a message: the envelope with the document spliced in as the last member.
 * Characters SQS refuses are escaped.
 */
export function exportMessageBody(message: ExportMessage): string {
  const { documentJson, ...envelope } = message;
  return `${toSqsJson(envelope).slice(0, -1)}${DOCUMENT_MEMBER}${sqsSafeJson(documentJson)}}`;
}

export type ExportMessage = z.infer<typeof exportMessageSchema>;

/** What {@link parseExportMessageBody} finds in a body. */
export type ParsedExportMessage =
  | { readonly ok: true; readonly message: ExportMessage }
  /** `problem` names the invalid fields (never their values). */
  | { readonly ok: false; readonly problem: string };

/**
 * Reads and validates an export queue body. Never throws: a body that is not JSON, or not an export
 * message of the current version, comes back with what is wrong (field names only).
 */
export function parseExportMessageBody(body: string): ParsedExportMessage {
  let json: unknown;
  try {
    json = readExportMessage(body);
  } catch {
    return { ok: false, problem: 'the message body is not JSON' };
  }
  const parsed = exportMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
  return { ok: false, problem: `the message is not an export message of version 3 (invalid: ${fields})` };
}

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
  /** Epoch ms of the change (the writer's `__kd.at`, else the stream record's time; backfill: scan time). */
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
 * The export document of a message as a value, numbers exact (for `dlq list` and tests).
 * @throws JsonSyntaxError when the document is not JSON (the schema only checks its start).
 */
export function exportDocumentOf(message: ExportMessage): ExportDocument {
  return parseJson(message.documentJson) as ExportDocument;
}
