/**
 * The delivery funnel's arithmetic (pure), shared by both readers of `kinesis-destination status`:
 * CloudWatch's datapoints (cli/status-cloudwatch.ts) and the local runtime's collected EMF documents
 * (local/metrics-store.ts) come in as {@link CountPoint}s and latency values, and leave as the
 * {@link FunnelReport} (`status --json`) with each stage's trend. Metric names come from
 * core/metric-names.ts only.
 */
import type { CountsByReason, FunnelDestination, FunnelReport, LatencySummary } from './funnel-types.js';
import {
  FUNNEL_COUNTS,
  FUNNEL_REASON_STAGES,
  FUNNEL_SINGLE_STAGES,
  type FunnelExportReason,
  type FunnelReasonStage,
  type FunnelSingleStage,
  type FunnelSlot,
} from './metric-names.js';
import type { ReasonCode } from './reasons.js';

export type { CountsByReason, FunnelDestination, FunnelReport, LatencySummary } from './funnel-types.js';

/** The page's promise: an export reaches the destination within 10 minutes of the profile write. */
export const LATENCY_PROMISE_MS = 10 * 60_000;

/** The trend's buckets per window: the sparkline's width. */
export const TREND_BUCKETS = 12;

/** A window of time, epoch ms, `from` inclusive, `to` exclusive. */
export interface FunnelWindow {
  readonly from: number;
  readonly to: number;
}

/** A sum of one funnel count metric of one destination, over a period starting at `t`. */
export interface CountPoint {
  readonly destination: string;
  readonly metric: string;
  /** Start of the period (or the time of the observation), epoch ms. */
  readonly t: number;
  readonly value: number;
}

/** The funnel stages of the table, in order: what `trend` is keyed by. */
export type FunnelStage = FunnelSingleStage | FunnelReasonStage;

/** The stages in the funnel's order. */
export const FUNNEL_STAGES: readonly FunnelStage[] = [
  'evaluated',
  'exported',
  'skipped',
  'rejected',
  'delivered',
  'retried',
  'deadLettered',
  'redriven',
];

/** The report and, per destination, each stage's counts per trend bucket (oldest first). */
export interface FunnelView {
  readonly report: FunnelReport;
  /** By destination id, then stage: {@link TREND_BUCKETS} sums. */
  readonly trends: Readonly<Record<string, Readonly<Record<FunnelStage, readonly number[]>>>>;
  /** Length of one trend bucket, ms. */
  readonly bucketMs: number;
}

/** What {@link buildFunnelView} needs. */
export interface FunnelInput {
  readonly window: FunnelWindow;
  /** The destinations to report, in order (the config's, or the one `--destination` names). */
  readonly destinations: readonly string[];
  readonly counts: readonly CountPoint[];
  /** By destination; absent: no delivery in the window. */
  readonly latency: ReadonlyMap<string, LatencySummary>;
  /** Alarms in ALARM by destination. */
  readonly alarms?: ReadonlyMap<string, readonly string[]>;
}

const SLOTS = new Map<string, FunnelSlot>(FUNNEL_COUNTS.map((c) => [c.name, c]));

/**
 * The length of one trend bucket: the window in {@link TREND_BUCKETS} steps, a whole number of
 * minutes (CloudWatch's periods are multiples of 60 s), at least one minute.
 */
export function trendBucketMs(window: FunnelWindow): number {
  const minutes = Math.max(1, Math.ceil((window.to - window.from) / TREND_BUCKETS / 60_000));
  return minutes * 60_000;
}

/** The value at percentile `p` (nearest rank) of ascending values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

/** p50, p95 and max of latency observations (any order); nulls for none. */
export function summarizeLatency(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? null };
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of counts: one bar per value, scaled to the largest; a flat line for all zeros. */
export function sparkline(values: readonly number[]): string {
  const top = Math.max(0, ...values);
  return values
    .map((v) => (top === 0 || v <= 0 ? BARS[0] : BARS[Math.min(7, Math.ceil((v / top) * 8) - 1)]))
    .join('');
}

function emptyTrend(): Record<FunnelStage, number[]> {
  return Object.fromEntries(
    FUNNEL_STAGES.map((s) => [s, new Array<number>(TREND_BUCKETS).fill(0)]),
  ) as Record<FunnelStage, number[]>;
}

/**
 * The funnel per destination over the window: each count point in the window added to its stage
 * (and reason), and to its trend bucket; a destination without data reads zeros and null latency.
 * Points of other destinations, of metrics that are not funnel counts, or outside the window are
 * left out.
 */
export function buildFunnelView(input: FunnelInput): FunnelView {
  const { window } = input;
  const bucketMs = trendBucketMs(window);
  // The buckets end at `to`: the last one is the most recent.
  const firstBucket = window.to - bucketMs * TREND_BUCKETS;
  const rows = new Map(
    input.destinations.map((id) => [
      id,
      {
        single: Object.fromEntries(FUNNEL_SINGLE_STAGES.map((s) => [s, 0])) as Record<
          FunnelSingleStage,
          number
        >,
        byReason: Object.fromEntries(FUNNEL_REASON_STAGES.map((s) => [s, {}])) as Record<
          FunnelReasonStage,
          Record<string, number>
        >,
        trend: emptyTrend(),
      },
    ]),
  );
  for (const point of input.counts) {
    const row = rows.get(point.destination);
    const slot = SLOTS.get(point.metric);
    if (row === undefined || slot === undefined || !Number.isFinite(point.value)) continue;
    if (point.t < window.from || point.t >= window.to) continue;
    if (slot.reason === undefined) row.single[slot.stage as FunnelSingleStage] += point.value;
    else {
      const counts = row.byReason[slot.stage as FunnelReasonStage];
      counts[slot.reason] = (counts[slot.reason] ?? 0) + point.value;
    }
    const bucket = Math.floor((point.t - firstBucket) / bucketMs);
    const series = row.trend[slot.stage];
    if (bucket >= 0 && bucket < TREND_BUCKETS) series[bucket] = (series[bucket] ?? 0) + point.value;
  }
  const none: LatencySummary = { p50: null, p95: null, max: null };
  const destinations = input.destinations.map((id): FunnelDestination => {
    const row = rows.get(id) as NonNullable<ReturnType<typeof rows.get>>;
    return {
      id,
      evaluated: row.single.evaluated,
      exported: row.byReason.exported as CountsByReason,
      skipped: row.byReason.skipped as CountsByReason,
      rejected: row.byReason.rejected as CountsByReason,
      delivered: row.single.delivered,
      retried: row.single.retried,
      deadLettered: row.single.deadLettered,
      redriven: row.single.redriven,
      latencyMs: input.latency.get(id) ?? none,
      alarms: [...(input.alarms?.get(id) ?? [])],
    };
  });
  return {
    report: {
      window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
      destinations,
    },
    trends: Object.fromEntries([...rows].map(([id, row]) => [id, row.trend])),
    bucketMs,
  };
}

/** The total of a stage counted by reason. */
export function totalOf(counts: CountsByReason): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * The funnel reason an export counts under: its first reason (decide lists them segment, identity,
 * attribute), so the reasons of a destination add up to its exports. A deleted member's export is a
 * segment exit.
 */
export function funnelExportReason(reasons: readonly ReasonCode[]): FunnelExportReason {
  switch (reasons[0]) {
    case 'identity-map':
      return 'identity';
    case 'mapped-attribute':
      return 'attribute';
    case 'backfill':
      return 'backfill';
    default:
      return 'segment';
  }
}
