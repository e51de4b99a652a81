import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type QueueEntry, type SendOptions, sendInOrder } from '../../adapters/queue-sender.js';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { decideExports } from '../../core/decide.js';
import { type ExportMessage, exportIdFor, messageGroupIdFor, toSqsJson } from '../../core/export-message.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import type { ReasonCode } from '../../core/reasons.js';
import { parseStreamRecord } from '../../core/stream-record.js';
import { type LogSink, logSafely, METRIC, type MetricSink } from '../commons/observability.js';

/** What the decide function needs; the handler builds it once per cold start, tests inject it. */
export interface DecideDependencies {
  readonly compiled: CompiledConfig;
  readonly sqs: SQSClient;
  readonly exportQueueUrl: string;
  readonly rejectsQueueUrl: string;
  readonly metrics: MetricSink;
  readonly logger: LogSink;
  readonly now?: () => number;
  readonly sendOptions?: SendOptions;
}

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

interface PendingReject {
  readonly index: number;
  readonly message: RejectMessage;
}

const SEPARATOR = '\u0000';

/**
 * Decides one batch of DynamoDB Streams records, in order, and queues the exports.
 *
 * - A record that cannot be evaluated (invalid image) or whose export cannot be queued or put
 *   (over 1 MiB) goes to the rejects queue with the reason and the full record; processing goes on.
 * - A transient failure (a queue that keeps failing) stops the batch: that record and every later
 *   one are reported in `batchItemFailures`, so Lambda retries from there (checkpoint semantics) and
 *   no later change of a profile is queued before an earlier one. Exports of later records that were
 *   already queued are sent again on retry and dropped by the FIFO queue's deduplication.
 */
export async function decideBatch(
  records: readonly DynamoDBRecord[],
  deps: DecideDependencies,
): Promise<DynamoDBBatchResponse> {
  const now = deps.now ?? Date.now;
  const exports: QueueEntry[] = [];
  const reasonsOf = new Map<string, readonly ReasonCode[]>();
  const rejects: PendingReject[] = [];
  const reject = (
    index: number,
    record: DynamoDBRecord,
    code: RejectCode,
    reason: string,
    destinationId?: string,
  ) => {
    rejects.push({
      index,
      message: {
        code,
        reason,
        ...(destinationId !== undefined && { destinationId }),
        ...(record.eventID !== undefined && { eventId: record.eventID }),
        ...(record.dynamodb?.SequenceNumber !== undefined && {
          sequenceNumber: record.dynamodb.SequenceNumber,
        }),
        rejectedAt: now(),
        record,
      },
    });
  };

  let evaluated = 0;
  records.forEach((record, index) => {
    const parsed = parseStreamRecord(record, { fields: deps.compiled.fieldsRead });
    if (!parsed.ok) {
      reject(index, record, 'INVALID_RECORD', parsed.reason);
      return;
    }
    evaluated++;
    for (const decision of decideExports(parsed.change, deps.compiled)) {
      if (!decision.export) {
        if (decision.rejection !== undefined)
          reject(index, record, decision.rejection.code, decision.rejection.message, decision.destinationId);
        continue;
      }
      const reasons = decision.reasons.flatMap((r) => (r.code === 'no-export' ? [] : [r.code]));
      const message: ExportMessage = {
        v: 1,
        exportId: exportIdFor(parsed.eventId, decision.destinationId),
        destinationId: decision.destinationId,
        profileId: parsed.profileId,
        profileVersion: decision.profileVersion,
        reasons,
        sourceEventId: parsed.eventId,
        sourceTime: parsed.approximateCreationTime,
        queuedAt: now(),
        document: decision.document,
      };
      const body = toSqsJson(message);
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > PIPELINE_SETTINGS.queueSend.maxMessageBytes) {
        reject(
          index,
          record,
          'EXPORT_MESSAGE_TOO_LARGE',
          `the export message takes ${bytes} bytes; an SQS message holds at most ${PIPELINE_SETTINGS.queueSend.maxMessageBytes}: map fewer or smaller attributes`,
          decision.destinationId,
        );
        continue;
      }
      const id = `${index}${SEPARATOR}${decision.destinationId}`;
      reasonsOf.set(id, reasons);
      exports.push({
        id,
        body,
        groupId: messageGroupIdFor(decision.destinationId, parsed.profileId),
        deduplicationId: message.exportId,
      });
    }
  });

  const indexOf = (id: string) => Number(id.slice(0, id.indexOf(SEPARATOR)));
  let firstFailed = records.length;

  const sent = await sendInOrder(deps.sqs, deps.exportQueueUrl, exports, deps.sendOptions);
  if (sent.unsent.length > 0) {
    firstFailed = indexOf(sent.unsent[0] as string);
    logSafely(deps.logger, 'error', 'export queue send failed; checkpointing at this record', {
      ...eventFields(records[firstFailed]),
      count: sent.unsent.length,
      code: sent.lastError?.split(':')[0] ?? 'Error',
    });
  }
  for (const [id, detail] of sent.refused) {
    const index = indexOf(id);
    const record = records[index] as DynamoDBRecord;
    reject(
      index,
      record,
      'EXPORT_MESSAGE_REFUSED',
      `the export queue refused the message: ${detail}`,
      id.slice(id.indexOf(SEPARATOR) + 1),
    );
  }
  const unsent = new Set(sent.unsent);
  for (const entry of exports) {
    if (unsent.has(entry.id) || sent.refused.has(entry.id) || indexOf(entry.id) >= firstFailed) continue;
    for (const reason of reasonsOf.get(entry.id) ?? [])
      deps.metrics.countWithDimension(METRIC.exportsQueued, 1, 'Reason', reason);
    deps.metrics.count(METRIC.exportsQueued, 1);
  }

  // Rejects of records before the checkpoint must land; those after it are produced again on retry.
  const toReject = rejects.filter((r) => r.index < firstFailed).sort((a, b) => a.index - b.index);
  if (toReject.length > 0) {
    const entries = toReject.map((r, i) => ({ id: String(i), body: rejectBody(r.message) }));
    const result = await sendInOrder(deps.sqs, deps.rejectsQueueUrl, entries, deps.sendOptions);
    const lost = [...result.unsent, ...result.refused.keys()].map(
      (i) => toReject[Number(i)] as PendingReject,
    );
    if (lost.length > 0) {
      firstFailed = Math.min(firstFailed, ...lost.map((r) => r.index));
      logSafely(deps.logger, 'error', 'rejects queue send failed; checkpointing at this record', {
        ...eventFields(records[firstFailed]),
        count: lost.length,
      });
    }
    for (const r of toReject) {
      if (r.index >= firstFailed) continue;
      deps.metrics.count(METRIC.rejects, 1);
      logSafely(deps.logger, 'warn', 'record rejected', {
        ...eventFields(records[r.index]),
        code: r.message.code,
        ...(r.message.destinationId !== undefined && { destinationId: r.message.destinationId }),
      });
    }
  }

  deps.metrics.count(METRIC.profilesEvaluated, evaluated);
  return {
    batchItemFailures: records
      .slice(firstFailed)
      .map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? r.eventID ?? '' })),
  };
}

function eventFields(record: DynamoDBRecord | undefined): { eventId?: string; sequenceNumber?: string } {
  return {
    ...(record?.eventID !== undefined && { eventId: record.eventID }),
    ...(record?.dynamodb?.SequenceNumber !== undefined && { sequenceNumber: record.dynamodb.SequenceNumber }),
  };
}

/**
 * The reject's body. A record too large to travel whole (two images near DynamoDB's 400 KB limit)
 * keeps its keys and sequence number, so an operator can still find it in the table.
 */
function rejectBody(message: RejectMessage): string {
  const body = toSqsJson(message);
  if (Buffer.byteLength(body, 'utf8') <= PIPELINE_SETTINGS.queueSend.maxMessageBytes) return body;
  const record = message.record as DynamoDBRecord;
  return toSqsJson({ ...message, record: { keys: record.dynamodb?.Keys, truncated: true } });
}
