import { type BatchState, finish, isLastReceive, type MessageEntry } from '../../core/export-machine.js';
import { FUNNEL_METRIC, type FunnelCountName } from '../../core/metric-names.js';
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
  /** Messages back from the dead-letter queue (export-items.ts, `isRedriven`). */
  readonly redriven?: ReadonlySet<string>;
}

/** One destination's funnel counts and first-attempt latencies of the batch. */
interface FunnelRow {
  readonly counts: Partial<Record<FunnelCountName, number>>;
  readonly latencies: number[];
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
  const funnel = new Map<string, FunnelRow>();
  const rowOf = (entry: MessageEntry): FunnelRow | undefined => {
    const id = deps.fieldsOf(entry.message.id).destinationId;
    if (id === undefined) return undefined;
    let row = funnel.get(id);
    if (row === undefined) {
      row = { counts: {}, latencies: [] };
      funnel.set(id, row);
    }
    return row;
  };
  const add = (entry: MessageEntry, name: FunnelCountName) => {
    const row = rowOf(entry);
    if (row !== undefined) row.counts[name] = (row.counts[name] ?? 0) + 1;
  };
  // A first attempt: the message's first receive, not back from the DLQ (latency counts only those).
  const firstAttempt = (entry: MessageEntry) =>
    entry.message.receiveCount === 1 && deps.redriven?.has(entry.message.id) !== true;
  let lastReceive = 0;
  const latencyMs: number[] = [];
  for (const entry of ended) {
    const { status } = entry;
    if (deps.redriven?.has(entry.message.id) === true) add(entry, FUNNEL_METRIC.redriven);
    if (status.at === 'dead-lettered') add(entry, FUNNEL_METRIC.deadLettered);
    if (status.at === 'failed') {
      const last = isLastReceive(entry.message, state.settings);
      if (last) lastReceive++;
      add(entry, last ? FUNNEL_METRIC.deadLettered : FUNNEL_METRIC.retried);
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
      add(entry, FUNNEL_METRIC.skipped.stale);
    } else if (status.at === 'delivered' && entry.message.export !== undefined) {
      add(entry, FUNNEL_METRIC.delivered);
      if (firstAttempt(entry)) {
        const ms = Math.max(0, at - entry.message.export.facts.sourceTime);
        latencyMs.push(ms);
        rowOf(entry)?.latencies.push(ms);
      }
    }
  }
  for (const ms of latencyMs) deps.metrics.milliseconds(METRIC.exportLatency, ms);
  for (const [destinationId, row] of funnel) deps.metrics.funnel(destinationId, row.counts, row.latencies);
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
