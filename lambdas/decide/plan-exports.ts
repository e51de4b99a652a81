import type { DynamoDBRecord } from 'aws-lambda';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { decideExports } from '../../core/decide.js';
import { buildExportMessage, type QueuedExport, toSqsJson } from '../../core/export-message.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { parseStreamRecord } from '../../core/stream-record.js';

/** Why a stream record (or one of its exports) went to the rejects queue. */
export type RejectCode =
  | 'INVALID_RECORD'
  | 'PAYLOAD_TOO_LARGE'
  | 'EXPORT_MESSAGE_TOO_LARGE'
  | 'EXPORT_MESSAGE_REFUSED';

/** The rejects queue's message: the reason and the full original stream record. */
export interface RejectMessage {
  readonly code: RejectCode;
  readonly reason: string;
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

/** What a batch of stream records comes to, before anything is sent. */
export interface ExportPlan {
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
): RejectMessage {
  return {
    code,
    reason,
    ...(destinationId !== undefined && { destinationId }),
    ...(record.eventID !== undefined && { eventId: record.eventID }),
    ...(record.dynamodb?.SequenceNumber !== undefined && { sequenceNumber: record.dynamodb.SequenceNumber }),
    rejectedAt,
    record,
  };
}

/**
 * Decides a batch of DynamoDB Streams records: which exports to queue and which records (or
 * exports) to reject. Pure: no I/O; `now` stamps the messages.
 *
 * - A record that cannot be evaluated (invalid image) is rejected with `INVALID_RECORD`.
 * - An export whose document is over the Kinesis record limit is rejected with `PAYLOAD_TOO_LARGE`
 *   (by the decision), one whose message is over the SQS limit with `EXPORT_MESSAGE_TOO_LARGE`.
 */
export function planExports(
  records: readonly DynamoDBRecord[],
  compiled: CompiledConfig,
  now: () => number,
): ExportPlan {
  const exports: PlannedExport[] = [];
  const rejects: PlannedReject[] = [];
  let evaluated = 0;
  records.forEach((record, index) => {
    const reject = (code: RejectCode, reason: string, destinationId?: string) =>
      rejects.push({ index, message: rejectOf(record, code, reason, now(), destinationId) });
    const parsed = parseStreamRecord(record, { fields: compiled.fieldsRead });
    if (!parsed.ok) {
      reject('INVALID_RECORD', parsed.reason);
      return;
    }
    evaluated++;
    for (const decision of decideExports(parsed.change, compiled)) {
      if (!decision.export) {
        if (decision.rejection !== undefined)
          reject(decision.rejection.code, decision.rejection.message, decision.destinationId);
        continue;
      }
      const queued = buildExportMessage(decision, {
        sourceEventId: parsed.eventId,
        profileId: parsed.profileId,
        sourceTime: parsed.approximateCreationTime,
        queuedAt: now(),
      });
      if (queued.bytes > maxMessageBytes) {
        reject(
          'EXPORT_MESSAGE_TOO_LARGE',
          `the export message takes ${queued.bytes} bytes; an SQS message holds at most ${maxMessageBytes}: map fewer or smaller attributes`,
          decision.destinationId,
        );
        continue;
      }
      exports.push({ index, export: queued });
    }
  });
  return { exports, rejects, evaluated };
}

/**
 * The reject's body. A record too large to travel whole (two images near DynamoDB's 400 KB limit)
 * keeps its keys and sequence number, so an operator can still find it in the table.
 */
export function rejectBody(message: RejectMessage): string {
  const body = toSqsJson(message);
  if (Buffer.byteLength(body, 'utf8') <= maxMessageBytes) return body;
  const { record } = message;
  const keys = 'truncated' in record ? record.keys : record.dynamodb?.Keys;
  return toSqsJson({ ...message, record: { keys, truncated: true } });
}
