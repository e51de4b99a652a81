import { type BatchState, finish, isLastReceive, type MessageEntry } from '../../core/export-machine.js';
import {
  type LogSink,
  logSafely,
  METRIC,
  type MetricSink,
  type SafeLogFields,
} from '../commons/observability.js';

/** What reporting a batch needs. */
export interface ReportDependencies {
  readonly metrics: MetricSink;
  readonly logger: LogSink;
  readonly now: () => number;
  /** The identifiers of a message's export (destination, profile, export id) for its log lines. */
  readonly fieldsOf: (messageId: string) => SafeLogFields;
}

/**
 * Logs and counts what became of a batch, once, when it is answered (docs/ARCHITECTURE.md,
 * "Metrics"): each message reported failed (a warning; an error on its last receive, when the queue
 * moves it next), each one skipped as stale, and the counts. Dead letters were logged when moved.
 */
export function reportBatch(state: BatchState, throttled: number, deps: ReportDependencies): void {
  const ended = finish(state).entries;
  const idsOf = (entry: MessageEntry): SafeLogFields => ({
    messageId: entry.message.id,
    receiveCount: entry.message.receiveCount,
    ...deps.fieldsOf(entry.message.id),
  });
  const at = deps.now();
  const count = (status: string) => ended.filter((e) => e.status.at === status).length;
  let lastReceive = 0;
  for (const entry of ended) {
    const { status } = entry;
    if (status.at === 'failed') {
      const last = isLastReceive(entry.message, state.settings);
      if (last) lastReceive++;
      logSafely(
        deps.logger,
        last ? 'error' : 'warn',
        last
          ? 'export failed on its last receive: the queue moves it to the dead-letter queue'
          : status.attempted
            ? 'export failed; SQS hands it out again'
            : 'export not put this time (held back, or out of time); SQS hands it out again',
        { ...idsOf(entry), code: status.failure.code },
      );
    } else if (status.at === 'superseded') {
      logSafely(
        deps.logger,
        'info',
        status.repeat
          ? 'export skipped: this version of the profile was already delivered'
          : 'stale export skipped: a later export of the profile was already delivered',
        { ...idsOf(entry), profileVersion: entry.message.export?.facts.profileVersion ?? 0 },
      );
    } else if (status.at === 'delivered' && entry.message.export !== undefined) {
      deps.metrics.milliseconds(METRIC.exportLatency, at - entry.message.export.facts.sourceTime);
    }
  }
  if (state.closed) {
    logSafely(deps.logger, 'warn', 'time ran out: answered with the messages done so far', {
      count: ended.length,
      delivered: count('delivered'),
      failed: count('failed'),
    });
  }
  deps.metrics.count(METRIC.recordsPut, count('delivered'));
  deps.metrics.count(METRIC.recordsThrottled, throttled);
  deps.metrics.count(METRIC.recordsFailed, count('failed') + count('dead-lettered'));
  deps.metrics.count(METRIC.recordsDeadLettered, count('dead-lettered') + lastReceive);
  deps.metrics.count(METRIC.exportsSuperseded, count('superseded'));
}
