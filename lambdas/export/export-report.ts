import type { SQSBatchResponse } from 'aws-lambda';
import type { StateTable } from '../../adapters/state-table.js';
import { errorFields, type LogSink, logSafely, METRIC, type MetricSink } from '../commons/observability.js';
import { type ExportItem, ledgerKeyOf, type Settled } from './export-items.js';

/**
 * What became of every message, in batch order: the settled ones as they were, and each one left
 * unsettled as held back behind the failure of an earlier message of its group.
 */
export function settle(items: readonly ExportItem[], outcomes: ReadonlyMap<ExportItem, Settled>): Settled[] {
  const firstFailure = new Map<string, ExportItem>();
  return items.map((item) => {
    const settled: Settled = outcomes.get(item) ?? {
      status: 'failed',
      item,
      failure: {
        code: 'PrecedingExportFailed',
        message: `held back: an earlier export of this profile (message ${firstFailure.get(item.group)?.record.messageId ?? 'unknown'}) failed`,
      },
    };
    if (settled.status === 'failed' && !firstFailure.has(item.group)) firstFailure.set(item.group, item);
    return settled;
  });
}

/** What recording a batch's outcome needs. */
export interface ReportDependencies {
  readonly state: Pick<StateTable, 'recordDelivered' | 'recordFailure'>;
  /** The export queue's maxReceiveCount: a failure on this attempt dead-letters the message. */
  readonly maxReceiveCount: number;
  readonly metrics: MetricSink;
  readonly logger: LogSink;
  readonly now?: () => number;
}

/** What the puts left behind besides the outcomes. */
export interface BatchTotals {
  /** Entries throttled by Kinesis (retries included). */
  readonly throttled: number;
  /** The delivery ledger after the puts: the highest version delivered per destination and profile. */
  readonly delivered: ReadonlyMap<string, number>;
}

/**
 * Records a batch's outcome — the delivery ledger for delivered messages, the failure log for
 * failed ones — logs and counts it, and answers with the failed messages as `batchItemFailures`.
 * Never throws: a state table that cannot be written is logged, since the records are in Kinesis.
 */
export async function reportBatch(
  settled: readonly Settled[],
  totals: BatchTotals,
  deps: ReportDependencies,
): Promise<SQSBatchResponse> {
  const now = deps.now ?? Date.now;
  const delivered = settled.flatMap((s) => (s.status === 'delivered' ? [s.item] : []));
  const superseded = settled.flatMap((s) => (s.status === 'superseded' ? [s.item] : []));
  const failed = settled.flatMap((s) => (s.status === 'failed' ? [s] : []));

  if (delivered.length > 0) {
    const updates = new Map<string, number>();
    for (const { message } of delivered) {
      const key = ledgerKeyOf(message);
      updates.set(key, totals.delivered.get(key) ?? message.profileVersion);
    }
    try {
      await deps.state.recordDelivered(updates);
    } catch (error) {
      // The records are in Kinesis: failing the messages now would put them again, after later ones.
      logSafely(
        deps.logger,
        'error',
        'delivery ledger not updated; stale redrives of these profiles are not skipped',
        { count: updates.size, ...errorFields(error) },
      );
    }
  }

  const at = now();
  await Promise.all(
    failed.map(async ({ item, failure }) => {
      const m = item.message;
      const deadLettered = item.receiveCount >= deps.maxReceiveCount;
      logSafely(
        deps.logger,
        deadLettered ? 'error' : 'warn',
        deadLettered
          ? 'export failed on its last attempt: dead-lettered'
          : 'export failed; SQS will retry it',
        {
          messageId: item.record.messageId,
          code: failure.code,
          receiveCount: item.receiveCount,
          ...(m && { exportId: m.exportId, destinationId: m.destinationId, profileId: m.profileId }),
        },
      );
      if (m === undefined) return;
      try {
        await deps.state.recordFailure({
          exportId: m.exportId,
          destinationId: m.destinationId,
          profileId: m.profileId,
          code: failure.code,
          message: failure.message,
          attempts: item.receiveCount,
          lastFailureAt: at,
        });
      } catch (error) {
        logSafely(deps.logger, 'error', 'failure record not written', {
          exportId: m.exportId,
          ...errorFields(error),
        });
      }
    }),
  );

  for (const { message: m } of superseded) {
    logSafely(
      deps.logger,
      'info',
      'stale export skipped: a newer version of the profile was already delivered',
      {
        exportId: m.exportId,
        destinationId: m.destinationId,
        profileId: m.profileId,
        profileVersion: m.profileVersion,
      },
    );
  }
  deps.metrics.count(METRIC.recordsPut, delivered.length);
  deps.metrics.count(METRIC.recordsThrottled, totals.throttled);
  deps.metrics.count(METRIC.recordsFailed, failed.length);
  deps.metrics.count(
    METRIC.recordsDeadLettered,
    failed.filter((f) => f.item.receiveCount >= deps.maxReceiveCount).length,
  );
  deps.metrics.count(METRIC.exportsSuperseded, superseded.length);
  return { batchItemFailures: failed.map((f) => ({ itemIdentifier: f.item.record.messageId })) };
}
