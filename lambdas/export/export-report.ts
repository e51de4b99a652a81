import type { SQSBatchResponse } from 'aws-lambda';
import type { StateTable } from '../../adapters/state-table.js';
import { errorFields, type LogSink, logSafely, METRIC, type MetricSink } from '../commons/observability.js';
import { type ExportItem, failureRecordOf, type Settled } from './export-items.js';

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
  readonly state: Pick<StateTable, 'recordFailure'>;
  /** The export queue's maxReceiveCount: a failure on this attempt dead-letters the message. */
  readonly maxReceiveCount: number;
  readonly metrics: MetricSink;
  readonly logger: LogSink;
  readonly now?: () => number;
}

/**
 * Records a batch's outcome — the failure log (`failure#<exportId>`) for the messages reported as
 * failures (the dead-lettered ones recorded theirs before they were moved) — logs and counts it, and
 * answers with the failed messages as `batchItemFailures`. Never throws: a state table that cannot
 * be written is logged.
 */
export async function reportBatch(
  settled: readonly Settled[],
  throttled: number,
  deps: ReportDependencies,
): Promise<SQSBatchResponse> {
  const now = deps.now ?? Date.now;
  const failed = settled.flatMap((s) => (s.status === 'failed' ? [s] : []));
  const at = now();
  await Promise.all(
    failed.map(async ({ item, failure }) => {
      const m = item.message;
      const last = item.receiveCount >= deps.maxReceiveCount;
      logSafely(
        deps.logger,
        last ? 'error' : 'warn',
        last
          ? 'export failed on its last receive: the queue dead-letters it'
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
        await deps.state.recordFailure(failureRecordOf(m, item, failure, at));
      } catch (error) {
        logSafely(deps.logger, 'error', 'failure record not written', {
          exportId: m.exportId,
          ...errorFields(error),
        });
      }
    }),
  );

  for (const s of settled) {
    if (s.status !== 'superseded') continue;
    const m = s.item.message;
    logSafely(
      deps.logger,
      'info',
      s.repeat
        ? 'export skipped: this version of the profile was already delivered'
        : 'stale export skipped: a later export of the profile was already delivered',
      {
        exportId: m.exportId,
        destinationId: m.destinationId,
        profileId: m.profileId,
        profileVersion: m.profileVersion,
      },
    );
  }
  const count = (status: Settled['status']) => settled.filter((s) => s.status === status).length;
  deps.metrics.count(METRIC.recordsPut, count('delivered'));
  deps.metrics.count(METRIC.recordsThrottled, throttled);
  deps.metrics.count(METRIC.recordsFailed, failed.length + count('dead-lettered'));
  deps.metrics.count(
    METRIC.recordsDeadLettered,
    count('dead-lettered') + failed.filter((f) => f.item.receiveCount >= deps.maxReceiveCount).length,
  );
  deps.metrics.count(METRIC.exportsSuperseded, count('superseded'));
  return batchResponse(settled);
}

/** The answer to SQS: every message reported as failed (the others are deleted by the event source). */
export function batchResponse(settled: readonly Settled[]): SQSBatchResponse {
  return {
    batchItemFailures: settled.flatMap((s) =>
      s.status === 'failed' ? [{ itemIdentifier: s.item.record.messageId }] : [],
    ),
  };
}
