/**
 * Recording stand-ins of the functions' observability sinks (lambdas/commons/observability.ts): what a
 * function counted and logged, for assertions.
 */
import type { LogLevel, LogSink, MetricSink } from '../../lambdas/commons/observability.js';

/**
 * A MetricSink that sums what it is given, by name (and `name:dimensionValue`), and counts the
 * dimensioned counts (each is an EMF document, a log line of its own).
 */
export function metricRecorder(): MetricSink & {
  totals: Map<string, number>;
  latencies: number[];
  dimensionedDocuments: () => number;
  /** Funnel counts by `destination:metric`. */
  funnelTotals: Map<string, number>;
  /** Funnel latency observations by destination. */
  funnelLatencies: Map<string, number[]>;
  /** Funnel documents emitted (one per destination per call). */
  funnelDocuments: () => number;
} {
  const totals = new Map<string, number>();
  const latencies: number[] = [];
  let documents = 0;
  const funnelTotals = new Map<string, number>();
  const funnelLatencies = new Map<string, number[]>();
  let funnelDocuments = 0;
  const add = (key: string, value: number) => totals.set(key, (totals.get(key) ?? 0) + value);
  return {
    totals,
    latencies,
    dimensionedDocuments: () => documents,
    count: (name, value) => add(name, value),
    countWithDimension: (name, value, _dimension, dimensionValue) => {
      documents++;
      add(`${name}:${dimensionValue}`, value);
    },
    milliseconds: (_name, value) => latencies.push(value),
    funnelTotals,
    funnelLatencies,
    funnelDocuments: () => funnelDocuments,
    funnel: (destinationId, counts, values = []) => {
      const entries = Object.entries(counts).filter(([, n]) => n !== undefined && n > 0);
      if (entries.length === 0 && values.length === 0) return;
      funnelDocuments++;
      for (const [name, n] of entries)
        funnelTotals.set(
          `${destinationId}:${name}`,
          (funnelTotals.get(`${destinationId}:${name}`) ?? 0) + (n ?? 0),
        );
      if (values.length > 0)
        funnelLatencies.set(destinationId, [...(funnelLatencies.get(destinationId) ?? []), ...values]);
    },
  };
}

/** A LogSink that keeps every line as the JSON the real logger would print. */
export function logRecorder(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  const log =
    (level: LogLevel) =>
    (message: string, ...extra: unknown[]) => {
      lines.push(JSON.stringify({ level, message, extra }));
    };
  return {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  } as LogSink & { lines: string[] };
}
