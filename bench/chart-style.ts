/**
 * What the charts of `bench/chart-specs.ts` share: sizes, colours, fonts, reference lines, the
 * latency axes and the names a reader knows the pipeline's stages and cost lines by.
 */

/** The local bench's p95 target (BENCHMARKS.md, "Results against the targets", row 3). */
export const LOCAL_P95_TARGET_MS = 1_000;

export const WIDTH = 560;
export const PANEL_HEIGHT = 210;
const GREY = '#888888';
const PERCENTILES = ['p50', 'p95', 'p99'] as const;
export const PERCENTILE_COLOURS = ['#4c78a8', '#e45756', '#b279a2'];

/** The fonts every chart names (the renderer measures text by estimate: no font file is read). */
export const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  title: { fontSize: 15, anchor: 'start', subtitleColor: '#555555', subtitleFontSize: 11 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e5e5' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: null },
} as const;

/** The pipeline stages of `core/capacity/sizing.ts` as a reader names them. */
export const STAGE_NAMES: Record<string, string> = {
  'profile-table-writes': 'the table’s write quota',
  'decide-per-shard': 'decide per stream shard',
  'export-concurrency': 'export maxConcurrency',
  'kinesis-shards': 'the Kinesis shards',
  'kinesis-on-demand': 'Kinesis on-demand',
  'account-concurrency': 'Lambda account concurrency',
};

export const integer = (n: number) => Math.round(n).toLocaleString('en-US');

/** A horizontal reference line with its label, in a layer of its own. */
export function referenceLine(y: number, label: string, field: string) {
  return {
    data: { values: [{ [field]: y, label }] },
    layer: [
      {
        mark: { type: 'rule', color: GREY, strokeDash: [6, 4] },
        encoding: { y: { field, type: 'quantitative' } },
      },
      {
        mark: {
          type: 'text',
          align: 'left',
          baseline: 'bottom',
          dx: 4,
          dy: -3,
          color: '#555555',
          fontSize: 11,
        },
        encoding: {
          x: { datum: 0, type: 'quantitative' },
          y: { field, type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  };
}

/** The "delivered = offered" diagonal from 0 to `max`. */
export function diagonal(max: number) {
  return {
    data: {
      values: [
        { offered: 0, delivered: 0 },
        { offered: max, delivered: max },
      ],
    },
    mark: { type: 'line', color: GREY, strokeDash: [2, 3] },
    encoding: {
      x: { field: 'offered', type: 'quantitative' },
      y: { field: 'delivered', type: 'quantitative' },
    },
  };
}

/** Latency series in long form: one row per step and percentile (a step without a latency has no point). */
export function latencyRows(
  rows: readonly { offered: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }[],
) {
  return rows.flatMap((r) =>
    PERCENTILES.flatMap((p) => {
      const ms = r[`${p}Ms`];
      return ms === null ? [] : [{ offered: r.offered, percentile: p, ms }];
    }),
  );
}

export const percentileColour = {
  field: 'percentile',
  type: 'nominal',
  title: 'write → Kinesis',
  scale: { domain: [...PERCENTILES], range: PERCENTILE_COLOURS },
} as const;

/** Log-scale latency axis ticks, labelled in ms, s or min. */
export const LOG_LATENCY_AXIS = {
  values: [100, 300, 1_000, 3_000, 10_000, 30_000, 60_000, 180_000, 600_000, 1_200_000],
  labelExpr:
    "datum.value >= 60000 ? format(datum.value / 60000, ',') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, ',') + ' s' : datum.value + ' ms'",
  grid: true,
} as const;

/** A cost line's name without its detail in parentheses or after a comma (BENCHMARKS.md's table has it). */
export function shortItem(item: string): string {
  return item.replace(/\s*\([^)]*\)\s*$/, '').replace(/,.*$/, '');
}
