/**
 * Where the console's funnel panel gets its numbers: one small interface, {@link FunnelSource}, that
 * answers with the `kinesis-destination status --json` object (core/funnel-types.ts). The local
 * console's source is {@link LocalMetricsFunnelSource}: the handlers' own metrics, collected by the
 * local runtime (local/metrics-store.ts) — the same function `status` reads through `local up`'s
 * endpoint.
 */
import type { FunnelReport } from '../../core/funnel-types.js';
import type { LocalFunnelQuery, MetricsStore } from '../../local/metrics-store.js';

export type { FunnelDestination, FunnelReport } from '../../core/funnel-types.js';

/** Options of {@link FunnelSource.funnel}: the last `sinceMs` milliseconds, one destination or all. */
export type FunnelQuery = LocalFunnelQuery;

/** Anything that answers with the funnel per destination over a window. */
export interface FunnelSource {
  /** A short description for the page ("metrics of the local runtime"). */
  readonly description: string;
  funnel(query: FunnelQuery): Promise<FunnelReport>;
}

/** The funnel of the local stack's collected metrics ({@link MetricsStore.funnel}). */
export class LocalMetricsFunnelSource implements FunnelSource {
  readonly description = "the handlers' metrics, collected by the local runtime (as `status` reads them)";

  constructor(private readonly store: Pick<MetricsStore, 'funnel'>) {}

  async funnel(query: FunnelQuery): Promise<FunnelReport> {
    return this.store.funnel(query).report;
  }
}
