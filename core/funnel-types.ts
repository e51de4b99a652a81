/**
 * The delivery funnel report: the shape `kinesis-destination status --json` prints and the local
 * console's funnel panel reads (cli/console/api-types.ts re-exports it). Types only, declared once.
 */

/** Counts by reason code. */
export type CountsByReason = Readonly<Record<string, number>>;

/** Upstream write → delivered, first attempts only, in milliseconds; null without a delivery. */
export interface LatencySummary {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly max: number | null;
}

/** One destination's funnel over a window (`status --json`'s `destinations[]`). */
export interface FunnelDestination {
  readonly id: string;
  /** Stream records the decide function evaluated for this destination. */
  readonly evaluated: number;
  readonly exported: CountsByReason;
  readonly skipped: CountsByReason;
  readonly rejected: CountsByReason;
  readonly delivered: number;
  readonly retried: number;
  readonly deadLettered: number;
  readonly redriven: number;
  readonly latencyMs: LatencySummary;
  /** Alarms in ALARM (none locally). */
  readonly alarms: readonly string[];
}

/** The funnel report: `kinesis-destination status --json`. */
export interface FunnelReport {
  /** ISO-8601 bounds of the window. */
  readonly window: { readonly from: string; readonly to: string };
  readonly destinations: readonly FunnelDestination[];
}
