import type { DynamoDBRecord } from 'aws-lambda';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { decideExports } from '../../core/decide.js';
import { buildExportMessage, type QueuedExport, toSqsJson } from '../../core/export-message.js';
import { BOOKKEEPING_FIELD } from '../../core/field-path.js';
import { funnelExportReason } from '../../core/funnel.js';
import type { FunnelExportReason, FunnelSkipReason } from '../../core/metric-names.js';
import { partitionKeyProblem } from '../../core/partition-key.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import type { Bookkeeping } from '../../core/profile.js';
import type { ProfileChange } from '../../core/profile-change.js';
import type { RejectCode } from '../../core/reject-codes.js';
import { parseStreamRecord } from '../../core/stream-record.js';

/**
 * Why a stream record (or one of its exports) went to the rejects queue:
 * - `INVALID_RECORD`: an image that cannot be mapped (a malformed attribute value, nesting beyond
 *   DynamoDB's 32 levels) or fails the profile schema, or a record without its images or ids;
 * - `PROFILE_ID_TOO_LONG`: the profile id cannot be the Kinesis partition key (over 256 characters
 *   as Kinesis counts them, core/partition-key.ts): no export of it could ever be put, and one in a
 *   `PutRecords` call would fail the whole call. The fix is a shorter profile id;
 * - `PAYLOAD_TOO_LARGE`: the export document is over the Kinesis record limit;
 * - `UNKNOWN_SEGMENT_STATUS`: a segment the destination maps has a status the source page does not
 *   name (`"pending"`) in the image: that destination's export only is refused (the record's other
 *   destinations export as usual; statuses of segments no destination maps are never looked at);
 * - `EXPORT_MESSAGE_TOO_LARGE`, `EXPORT_MESSAGE_REFUSED`: the export message is over the SQS limit,
 *   or SQS refused it;
 * - `UNEXPECTED_ERROR`: evaluating the record raised an error this code did not foresee (a bug):
 *   the record is set aside instead of failing the batch.
 */
export type { RejectCode } from '../../core/reject-codes.js';

/** The rejects queue's message: the reason and the full original stream record. */
export interface RejectMessage {
  readonly code: RejectCode;
  readonly reason: string;
  /** The field at fault, from the stream record's root (`dynamodb.NewImage.person.age`) or the export document's part. */
  readonly field?: string;
  readonly destinationId?: string;
  readonly eventId?: string;
  readonly sequenceNumber?: string;
  readonly rejectedAt: number;
  readonly record: DynamoDBRecord | { readonly keys: unknown; readonly truncated: true };
}

/** A reject of the record at `index` of the batch. */
export interface PlannedReject {
  readonly index: number;
  readonly message: RejectMessage;
}

/** An export of the record at `index` of the batch, ready for the export queue. */
export interface PlannedExport {
  readonly index: number;
  readonly export: QueuedExport;
}

/** What became of a record for one destination: the delivery funnel's decide stages. */
export type DestinationOutcome =
  | { readonly kind: 'exported'; readonly reason: FunnelExportReason }
  | { readonly kind: 'skipped'; readonly reason: Exclude<FunnelSkipReason, 'stale'> }
  | { readonly kind: 'rejected'; readonly reason: RejectCode };

/** What a batch of stream records comes to, before anything is sent. */
export interface ExportPlan {
  /**
   * By record index, each destination's outcome (a record that cannot be evaluated is rejected for
   * every destination).
   */
  readonly outcomes: readonly ReadonlyMap<string, DestinationOutcome>[];
  /** In record order, then destination order: the order they must be queued in. */
  readonly exports: readonly PlannedExport[];
  /** In record order. */
  readonly rejects: readonly PlannedReject[];
  /** Records that could be evaluated (not poison). */
  readonly evaluated: number;
}

const { maxMessageBytes } = PIPELINE_SETTINGS.queueSend;

/**
 * A reject of `record` with the reason, the record's event id and sequence number, and the record
 * itself.
 */
export function rejectOf(
  record: DynamoDBRecord,
  code: RejectCode,
  reason: string,
  rejectedAt: number,
  destinationId?: string,
  field?: string,
): RejectMessage {
  return {
    code,
    reason,
    ...(field !== undefined && { field }),
    ...(destinationId !== undefined && { destinationId }),
    ...(typeof record.eventID === 'string' && { eventId: record.eventID }),
    ...(typeof record.dynamodb?.SequenceNumber === 'string' && {
      sequenceNumber: record.dynamodb.SequenceNumber,
    }),
    rejectedAt,
    record,
  };
}

/** What one record comes to: its exports and rejects, in destination order. */
interface RecordPlan {
  readonly exports: QueuedExport[];
  readonly rejects: { code: RejectCode; reason: string; destinationId?: string; field?: string }[];
  readonly evaluated: boolean;
  /** By destination id; absent for a record rejected as a whole. */
  readonly outcomes: Map<string, DestinationOutcome>;
}

/**
 * When the change was written upstream, for the latency metrics: the profile writer's stamp
 * (`__kd.at`) when this change is the writer's (its bookkeeping is new in this image) and not later
 * than now, else the stream record's ApproximateCreationDateTime (which DynamoDB Local rounds down to
 * the minute). A deletion is timed by the stream: the old image's stamp is of the write before it.
 */
export function sourceTimeOf(change: ProfileChange, streamTime: number, now: number): number {
  const next = change.newImage?.[BOOKKEEPING_FIELD] as Bookkeeping | undefined;
  if (next === undefined || change.eventName === 'REMOVE') return streamTime;
  const previous = change.oldImage?.[BOOKKEEPING_FIELD] as Bookkeeping | undefined;
  if (previous !== undefined && previous.v === next.v) return streamTime;
  // A writer's clock ahead of this one would make latency negative: the stream's time then.
  return Number.isSafeInteger(next.at) && next.at > 0 && next.at <= now ? next.at : streamTime;
}

/**
 * The reject of a record whose profile id cannot be a Kinesis partition key, found in its keys or
 * images (the profile schema refuses it too; this names the reason and the fix with their own code).
 */
function partitionKeyReject(record: DynamoDBRecord): RecordPlan['rejects'][number] | undefined {
  const data = record.dynamodb;
  for (const [field, image] of [
    ['dynamodb.Keys.profileId', data?.Keys],
    ['dynamodb.NewImage.profileId', data?.NewImage],
    ['dynamodb.OldImage.profileId', data?.OldImage],
  ] as const) {
    const id = (image as { profileId?: { S?: unknown } } | undefined)?.profileId?.S;
    if (typeof id !== 'string') continue;
    const problem = partitionKeyProblem(id);
    if (problem !== undefined) return { code: 'PROFILE_ID_TOO_LONG', reason: problem, field };
  }
  return undefined;
}

function planRecord(record: DynamoDBRecord, compiled: CompiledConfig, now: () => number): RecordPlan {
  const plan: RecordPlan = { exports: [], rejects: [], evaluated: false, outcomes: new Map() };
  const parsed = parseStreamRecord(record, { fields: compiled.fieldsRead });
  if (!parsed.ok) {
    const tooLong = partitionKeyReject(record);
    if (tooLong !== undefined) {
      plan.rejects.push(tooLong);
      return plan;
    }
    plan.rejects.push({
      code: 'INVALID_RECORD',
      reason: parsed.reason,
      ...(parsed.field !== undefined && { field: parsed.field }),
    });
    return plan;
  }
  // The image a document is built from: the new one, or the old one of a deleted profile.
  const image = parsed.change.newImage === undefined ? 'dynamodb.OldImage' : 'dynamodb.NewImage';
  for (const decision of decideExports(parsed.change, compiled)) {
    if (!decision.export) {
      const rejection = decision.rejection;
      if (rejection !== undefined) {
        // A status is a field of the stream record's image; a document's largest part is not.
        const field =
          rejection.code === 'UNKNOWN_SEGMENT_STATUS' && rejection.field !== undefined
            ? `${image}.${rejection.field}`
            : rejection.field;
        plan.rejects.push({
          code: rejection.code,
          reason: rejection.message,
          destinationId: decision.destinationId,
          ...(field !== undefined && { field }),
        });
        plan.outcomes.set(decision.destinationId, { kind: 'rejected', reason: rejection.code });
      } else {
        plan.outcomes.set(decision.destinationId, {
          kind: 'skipped',
          reason: decision.skip ?? 'no-relevant-change',
        });
      }
      continue;
    }
    const queuedAt = now();
    const queued = buildExportMessage(decision, {
      sourceEventId: parsed.eventId,
      profileId: parsed.profileId,
      sourceTime: sourceTimeOf(parsed.change, parsed.approximateCreationTime, queuedAt),
      queuedAt,
    });
    if (queued.bytes > maxMessageBytes) {
      plan.rejects.push({
        code: 'EXPORT_MESSAGE_TOO_LARGE',
        reason: `the export message takes ${queued.bytes} bytes; an SQS message holds at most ${maxMessageBytes}: map fewer or smaller attributes`,
        destinationId: decision.destinationId,
      });
      plan.outcomes.set(decision.destinationId, { kind: 'rejected', reason: 'EXPORT_MESSAGE_TOO_LARGE' });
      continue;
    }
    plan.exports.push(queued);
    plan.outcomes.set(decision.destinationId, {
      kind: 'exported',
      reason: funnelExportReason(queued.message.reasons),
    });
  }
  return { ...plan, evaluated: true };
}

/**
 * Decides a batch of DynamoDB Streams records: which exports to queue and which records (or
 * exports) to reject. Pure: no I/O; `now` stamps the messages.
 *
 * - A record that cannot be evaluated (invalid image) is rejected with `INVALID_RECORD` and the
 *   field at fault; one whose profile id cannot be a partition key with `PROFILE_ID_TOO_LONG`.
 * - An export whose document is over the Kinesis record limit is rejected with `PAYLOAD_TOO_LARGE`
 *   (by the decision), one whose message is over the SQS limit with `EXPORT_MESSAGE_TOO_LARGE`.
 * - Never throws: a record whose evaluation throws anyway is rejected with `UNEXPECTED_ERROR`.
 */
export function planExports(
  records: readonly DynamoDBRecord[],
  compiled: CompiledConfig,
  now: () => number,
): ExportPlan {
  const exports: PlannedExport[] = [];
  const rejects: PlannedReject[] = [];
  const outcomes: ReadonlyMap<string, DestinationOutcome>[] = [];
  let evaluated = 0;
  records.forEach((record, index) => {
    let plan: RecordPlan;
    try {
      plan = planRecord(record, compiled, now);
    } catch (error) {
      // One record never fails the batch: a bug that throws sets this record aside with the
      // error's name and message, and the batch goes on in order.
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      plan = {
        exports: [],
        rejects: [{ code: 'UNEXPECTED_ERROR', reason: `the record could not be evaluated: ${what}` }],
        evaluated: false,
        outcomes: new Map(),
      };
    }
    // A record rejected as a whole (its first reject has no destination) is rejected for every destination.
    const whole = plan.rejects[0];
    if (plan.outcomes.size === 0 && whole !== undefined && whole.destinationId === undefined)
      for (const d of compiled.destinations)
        plan.outcomes.set(d.id, { kind: 'rejected', reason: whole.code });
    outcomes.push(plan.outcomes);
    if (plan.evaluated) evaluated++;
    for (const queued of plan.exports) exports.push({ index, export: queued });
    for (const r of plan.rejects)
      rejects.push({ index, message: rejectOf(record, r.code, r.reason, now(), r.destinationId, r.field) });
  });
  return { exports, rejects, evaluated, outcomes };
}

/**
 * The reject's body. A record too large to travel whole (two images near DynamoDB's 400 KB limit)
 * keeps its keys and sequence number, so an operator can still find it in the table.
 */
export function rejectBody(message: RejectMessage): string {
  let body: string | undefined;
  try {
    body = toSqsJson(message);
  } catch {
    // A record JSON cannot write whole (it cannot come from Lambda's JSON event): keys only.
  }
  if (body !== undefined && Buffer.byteLength(body, 'utf8') <= maxMessageBytes) return body;
  const { record } = message;
  const keys = 'truncated' in record ? record.keys : record.dynamodb?.Keys;
  try {
    return toSqsJson({ ...message, record: { keys, truncated: true } });
  } catch {
    return toSqsJson({ ...message, record: { keys: null, truncated: true } });
  }
}
