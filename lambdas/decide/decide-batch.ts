import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type QueueEntry, type SendOptions, sendInOrder } from '../../adapters/queue-sender.js';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { FUNNEL_METRIC, type FunnelCountName } from '../../core/metric-names.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { type LogSink, logSafely, METRIC, type MetricSink } from '../commons/observability.js';
import {
  type ExportPlan,
  type PlannedExport,
  type PlannedReject,
  planExports,
  rejectBody,
  rejectOf,
} from './plan-exports.js';

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

/**
 * Decides one batch of DynamoDB Streams records, in order, and queues the exports: the pure
 * {@link planExports}, then {@link sendPlan}.
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
  return sendPlan(planExports(records, deps.compiled, deps.now ?? Date.now), records, deps);
}

/**
 * Sends a batch's plan: the exports to the export queue in order, then the rejects of the records
 * before the checkpoint (the first record whose export or reject could not be sent) to the rejects
 * queue. Counts and logs what was sent; returns the checkpoint as `batchItemFailures`.
 */
export async function sendPlan(
  plan: ExportPlan,
  records: readonly DynamoDBRecord[],
  deps: DecideDependencies,
): Promise<DynamoDBBatchResponse> {
  const sent = await sendExports(plan.exports, records, deps);
  const checkpoint = await sendRejects([...plan.rejects, ...sent.refused], sent.checkpoint, records, deps);
  deps.metrics.count(METRIC.profilesEvaluated, plan.evaluated);
  countFunnel(plan, sent.refused, checkpoint, deps);
  return {
    batchItemFailures: records
      .slice(checkpoint)
      .map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? r.eventID ?? '' })),
  };
}

/**
 * Queues the exports in order. Returns the checkpoint (index of the first record with an export
 * not sent; the batch's length when all were) and the exports SQS refused, as rejects.
 */
async function sendExports(
  exports: readonly PlannedExport[],
  records: readonly DynamoDBRecord[],
  deps: DecideDependencies,
): Promise<{ checkpoint: number; refused: PlannedReject[] }> {
  const now = deps.now ?? Date.now;
  const byId = new Map(exports.map((e, i) => [String(i), e]));
  const entries: QueueEntry[] = [...byId].map(([id, { export: e }]) => ({
    id,
    body: e.body,
    groupId: e.groupId,
    deduplicationId: e.deduplicationId,
  }));
  // Calls of different groups overlap: a failure's later entries may be queued already, and the retry
  // from the checkpoint sends them again for the FIFO queue to drop (they carry deduplication ids).
  const sent = await sendInOrder(deps.sqs, deps.exportQueueUrl, entries, {
    concurrency: PIPELINE_SETTINGS.queueSend.exportCallsInFlight,
    ...deps.sendOptions,
  });

  const firstUnsent = sent.unsent[0] === undefined ? undefined : byId.get(sent.unsent[0]);
  const checkpoint = firstUnsent?.index ?? records.length;
  if (firstUnsent !== undefined) {
    logSafely(deps.logger, 'error', 'export queue send failed; checkpointing at this record', {
      ...eventFields(records[checkpoint]),
      count: sent.unsent.length,
      code: sent.lastError?.split(':')[0] ?? 'Error',
    });
  }
  const refused: PlannedReject[] = [];
  for (const [id, detail] of sent.refused) {
    const planned = byId.get(id);
    const record = planned === undefined ? undefined : records[planned.index];
    if (planned === undefined || record === undefined) continue;
    refused.push({
      index: planned.index,
      message: rejectOf(
        record,
        'EXPORT_MESSAGE_REFUSED',
        `the export queue refused the message: ${detail}`,
        now(),
        planned.export.message.destinationId,
      ),
    });
  }
  const unsent = new Set(sent.unsent);
  let queued = 0;
  for (const [id, planned] of byId) {
    if (unsent.has(id) || sent.refused.has(id) || planned.index >= checkpoint) continue;
    queued++;
  }
  deps.metrics.count(METRIC.exportsQueued, queued);
  return { checkpoint, refused };
}

/**
 * Sends the rejects of the records before `checkpoint`, in record order: those after it are produced
 * again on retry. Returns the checkpoint, moved back to the first record whose reject was not sent.
 */
async function sendRejects(
  rejects: readonly PlannedReject[],
  checkpoint: number,
  records: readonly DynamoDBRecord[],
  deps: DecideDependencies,
): Promise<number> {
  const toReject = rejects.filter((r) => r.index < checkpoint).sort((a, b) => a.index - b.index);
  if (toReject.length === 0) return checkpoint;
  const byId = new Map(toReject.map((r, i) => [String(i), r]));
  const entries = [...byId].map(([id, r]) => ({ id, body: rejectBody(r.message) }));
  const result = await sendInOrder(deps.sqs, deps.rejectsQueueUrl, entries, deps.sendOptions);
  const lost = [...result.unsent, ...result.refused.keys()].flatMap((id) => byId.get(id) ?? []);
  let firstFailed = checkpoint;
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
  return firstFailed;
}

/**
 * Counts the delivery funnel of the records before the checkpoint (those after it come again on
 * retry and are counted then): per destination, each record evaluated and what it came to — exported
 * (by first reason), skipped, or rejected (an export SQS refused as `EXPORT_MESSAGE_REFUSED`). One
 * EMF document per destination per invocation: each is a log line of its own, so one per export or per
 * reason would cost every export a CloudWatch Logs line (BENCHMARKS.md, section 5).
 */
function countFunnel(
  plan: ExportPlan,
  refused: readonly PlannedReject[],
  checkpoint: number,
  deps: DecideDependencies,
): void {
  const refusedAt = new Set(refused.map((r) => `${r.index}\u0000${r.message.destinationId ?? ''}`));
  const counts = new Map<string, Partial<Record<FunnelCountName, number>>>();
  const add = (destinationId: string, name: FunnelCountName) => {
    let row = counts.get(destinationId);
    if (row === undefined) {
      row = {};
      counts.set(destinationId, row);
    }
    row[name] = (row[name] ?? 0) + 1;
  };
  plan.outcomes.forEach((byDestination, index) => {
    if (index >= checkpoint) return;
    for (const [destinationId, outcome] of byDestination) {
      add(destinationId, FUNNEL_METRIC.evaluated);
      if (refusedAt.has(`${index}\u0000${destinationId}`))
        add(destinationId, FUNNEL_METRIC.rejected.EXPORT_MESSAGE_REFUSED);
      else if (outcome.kind === 'exported') add(destinationId, FUNNEL_METRIC.exported[outcome.reason]);
      else if (outcome.kind === 'skipped') add(destinationId, FUNNEL_METRIC.skipped[outcome.reason]);
      else add(destinationId, FUNNEL_METRIC.rejected[outcome.reason]);
    }
  });
  for (const [destinationId, row] of counts) deps.metrics.funnel(destinationId, row);
}

function eventFields(record: DynamoDBRecord | undefined): { eventId?: string; sequenceNumber?: string } {
  return {
    ...(record?.eventID !== undefined && { eventId: record.eventID }),
    ...(record?.dynamodb?.SequenceNumber !== undefined && { sequenceNumber: record.dynamodb.SequenceNumber }),
  };
}
