/**
 * The charts BENCHMARKS.md shows beside its tables, drawn from `bench/results.json` by Vega-Lite
 * (compiled to Vega, rendered to SVG in Node with no canvas and no browser): delivered rate and
 * latency against the offered rate for the local stack and for the capacity model, the model against
 * the local steps, and the cost per million exports by line item. The same results give the same
 * SVG bytes: nothing in a chart comes from the clock or the machine.
 *
 * `npm run bench` draws them at its end; `npm run bench:charts` draws them again from the committed
 * results (`bench/write-charts.ts`).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { z } from 'zod';
import { LATENCY_PROMISE_MS } from '../core/capacity/parameters.js';
import { costSchema, e2eChartSchema, modelSchema, resultsSection } from './results-file.js';

/** Where the charts are written, committed beside the results they are drawn from. */
export const CHARTS_DIR = join(import.meta.dirname, 'charts');

/** The local bench's p95 target (BENCHMARKS.md, "Results against the targets", row 3). */
const LOCAL_P95_TARGET_MS = 1_000;

const WIDTH = 560;
const PANEL_HEIGHT = 210;
const GREY = '#888888';
const PERCENTILES = ['p50', 'p95', 'p99'] as const;
const PERCENTILE_COLOURS = ['#4c78a8', '#e45756', '#b279a2'];

/** The fonts every chart names (the renderer measures text by estimate: no font file is read). */
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  title: { fontSize: 15, anchor: 'start', subtitleColor: '#555555', subtitleFontSize: 11 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e5e5' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: null },
} as const;

/** The pipeline stages of `core/capacity/sizing.ts` as a reader names them. */
const STAGE_NAMES: Record<string, string> = {
  'profile-table-writes': 'the table’s write quota',
  'decide-per-shard': 'decide per stream shard',
  'export-concurrency': 'export maxConcurrency',
  'kinesis-shards': 'the Kinesis shards',
  'kinesis-on-demand': 'Kinesis on-demand',
  'account-concurrency': 'Lambda account concurrency',
};

const integer = (n: number) => Math.round(n).toLocaleString('en-US');

/** A horizontal reference line with its label, in a layer of its own. */
function referenceLine(y: number, label: string, field: string) {
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
function diagonal(max: number) {
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
function latencyRows(
  rows: readonly { offered: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }[],
) {
  return rows.flatMap((r) =>
    PERCENTILES.flatMap((p) => {
      const ms = r[`${p}Ms`];
      return ms === null ? [] : [{ offered: r.offered, percentile: p, ms }];
    }),
  );
}

const percentileColour = {
  field: 'percentile',
  type: 'nominal',
  title: 'write → Kinesis',
  scale: { domain: [...PERCENTILES], range: PERCENTILE_COLOURS },
} as const;

/** Delivered rate and latency against the offered rate, for the local stack's end-to-end steps. */
export function localStackSpec(e2e: z.infer<typeof e2eChartSchema>): TopLevelSpec {
  const steps = e2e.steps.map((s) => ({
    offered: s.targetPerSecond,
    // Every write of a step delivered is the achieved rate; fewer, its share of it.
    delivered: s.writes > 0 ? (s.achievedPerSecond * s.delivered) / s.writes : 0,
    sustained: s.sustained ? 'sustained' : 'not sustained',
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
  }));
  const maxOffered = Math.max(...steps.map((s) => s.offered));
  const raw = Math.max(e2e.rawWritesPerSecond, e2e.rawWritesPerSecondAfterSteps);
  const x = {
    field: 'offered',
    type: 'quantitative',
    title: 'offered profile writes/s (the step’s target)',
    scale: { domain: [0, maxOffered] },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Local stack: delivered rate and latency against the offered rate',
      subtitle: [
        `npm run bench, end-to-end steps; sustained = all delivered, p95 < 1 s, writer ≥ 90 % of target (up to ${e2e.sustainedPerSecond}/s).`,
        `The page’s ${LATENCY_PROMISE_MS / 60_000}-minute p95 promise (${integer(LATENCY_PROMISE_MS)} ms) is far off this scale: see the capacity model.`,
      ],
    },
    config: CONFIG,
    vconcat: [
      {
        width: WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          diagonal(maxOffered),
          referenceLine(raw, `DynamoDB Local’s raw write rate: ${integer(raw)}/s`, 'delivered'),
          {
            data: { values: steps },
            mark: { type: 'line', color: PERCENTILE_COLOURS[0], point: false },
            encoding: { x, y: { field: 'delivered', type: 'quantitative', title: 'delivered writes/s' } },
          },
          {
            data: { values: steps },
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              x,
              y: { field: 'delivered', type: 'quantitative' },
              shape: {
                field: 'sustained',
                type: 'nominal',
                title: 'step',
                scale: { domain: ['sustained', 'not sustained'], range: ['circle', 'cross'] },
              },
              color: {
                field: 'sustained',
                type: 'nominal',
                title: 'step',
                scale: { domain: ['sustained', 'not sustained'], range: [PERCENTILE_COLOURS[0], '#f58518'] },
              },
            },
          },
        ],
      },
      {
        width: WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          referenceLine(LOCAL_P95_TARGET_MS, 'p95 target on the local stack: 1 s', 'ms'),
          {
            data: { values: latencyRows(steps) },
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'ms', type: 'quantitative', title: 'write → Kinesis, ms' },
              color: percentileColour,
            },
          },
        ],
        resolve: { scale: { color: 'independent' } },
      },
    ],
    resolve: { scale: { color: 'independent', shape: 'independent' } },
  } as TopLevelSpec;
}

/** Log-scale latency axis ticks, labelled in ms, s or min. */
const LOG_LATENCY_AXIS = {
  values: [100, 300, 1_000, 3_000, 10_000, 30_000, 60_000, 180_000, 600_000, 1_200_000],
  labelExpr:
    "datum.value >= 60000 ? format(datum.value / 60000, ',') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, ',') + ' s' : datum.value + ' ms'",
  grid: true,
} as const;

/** Delivered rates and latency against the offered rate, for the capacity model's steps. */
export function capacityModelSpec(model: z.infer<typeof modelSchema>): TopLevelSpec {
  const steps = model.steps.map((s) => ({
    offered: s.offeredPerSecond,
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    exports: s.exportsDeliveredPerSecond,
    minutes: s.minutesToPromise === null ? '' : `${Math.round(s.minutesToPromise)} min`,
  }));
  const rates = model.steps.flatMap((s) => [
    { offered: s.offeredPerSecond, series: 'profile writes completed', perSecond: s.deliveredPerSecond },
    { offered: s.offeredPerSecond, series: 'exports into Kinesis', perSecond: s.exportsDeliveredPerSecond },
  ]);
  // One line per stage that binds at some step: what it carries, in exports/s.
  const capacities = new Map<string, number>();
  for (const s of model.steps)
    if (s.bottleneck !== 'none' && s.bottleneckExportsPerSecond !== null)
      capacities.set(s.bottleneck, s.bottleneckExportsPerSecond);
  const maxOffered = Math.max(...steps.map((s) => s.offered));
  const x = {
    field: 'offered',
    type: 'quantitative',
    title: 'offered profile writes/s',
    scale: { domain: [0, maxOffered] },
  } as const;
  const series = {
    field: 'series',
    type: 'nominal',
    title: 'delivered',
    scale: { domain: ['profile writes completed', 'exports into Kinesis'], range: ['#4c78a8', '#54a24b'] },
    legend: { labelLimit: 260 },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Capacity model on AWS: delivered rates and latency against the offered rate',
      subtitle: [
        `settings derived for a ${integer(model.peakWritesPerSecond)} writes/s peak; 75 % of writes export (one destination).`,
        'Under an overloaded step: minutes of that rate until the oldest waiting export passes 10 minutes.',
      ],
    },
    config: CONFIG,
    vconcat: [
      {
        width: WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          diagonal(maxOffered),
          ...[...capacities].map(([stage, perSecond]) =>
            referenceLine(
              perSecond,
              `bottleneck: ${STAGE_NAMES[stage] ?? stage} (${stage}), ${integer(perSecond)} exports/s`,
              'perSecond',
            ),
          ),
          {
            data: { values: rates },
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'perSecond', type: 'quantitative', title: 'delivered per second' },
              color: series,
            },
          },
          {
            data: { values: steps },
            mark: { type: 'text', baseline: 'top', dy: 8, fontSize: 11, color: '#333333' },
            encoding: { x, y: { field: 'exports', type: 'quantitative' }, text: { field: 'minutes' } },
          },
        ],
      },
      {
        width: WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          referenceLine(
            LATENCY_PROMISE_MS,
            `the page’s promise: p95 within ${LATENCY_PROMISE_MS / 60_000} minutes`,
            'ms',
          ),
          {
            data: { values: latencyRows(steps) },
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: {
                field: 'ms',
                type: 'quantitative',
                title: 'write → Kinesis (log scale)',
                scale: { type: 'log', domain: [100, 2 * LATENCY_PROMISE_MS] },
                axis: LOG_LATENCY_AXIS,
              },
              color: percentileColour,
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** The model run with the local emulators' latencies against the measured local steps. */
export function modelVsLocalSpec(model: z.infer<typeof modelSchema>): TopLevelSpec | undefined {
  const steps = model.localValidation?.steps;
  if (steps === undefined || steps.length === 0) return undefined;
  const rows = steps
    .filter((s) => s.sustained)
    .flatMap((s) => [
      { offered: s.offeredPerSecond, series: 'measured p50', ms: s.measuredP50Ms },
      { offered: s.offeredPerSecond, series: 'measured p95', ms: s.measuredP95Ms },
      { offered: s.offeredPerSecond, series: 'model p50', ms: s.modelP50Ms },
      { offered: s.offeredPerSecond, series: 'model p95', ms: s.modelP95Ms },
    ]);
  const domain = ['measured p50', 'measured p95', 'model p50', 'model p95'];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Capacity model against the local stack',
      subtitle:
        'the model with the emulators’ latencies and the local settings, at the sustained steps’ achieved rates',
    },
    config: CONFIG,
    width: WIDTH,
    height: PANEL_HEIGHT,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'offered', type: 'quantitative', title: 'offered profile writes/s (achieved)' },
      y: { field: 'ms', type: 'quantitative', title: 'write → Kinesis, ms' },
      color: {
        field: 'series',
        type: 'nominal',
        title: 'latency',
        scale: {
          domain,
          range: [PERCENTILE_COLOURS[0], PERCENTILE_COLOURS[1], PERCENTILE_COLOURS[0], PERCENTILE_COLOURS[1]],
        },
        legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: 'latency',
        scale: {
          domain,
          range: [
            [1, 0],
            [1, 0],
            [6, 4],
            [6, 4],
          ],
        },
        legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 },
      },
    },
  } as TopLevelSpec;
}

/** A cost line's name without its detail in parentheses or after a comma (BENCHMARKS.md's table has it). */
function shortItem(item: string): string {
  return item.replace(/\s*\([^)]*\)\s*$/, '').replace(/,.*$/, '');
}

/** Cost per million exports by line item, this design beside the naive one, as stacked bars. */
export function costSpec(cost: z.infer<typeof costSchema>): TopLevelSpec {
  const designs = [
    { design: 'this design', lines: cost.pipeline.lines, total: cost.pipeline.total },
    { design: 'naive design', lines: cost.naive.lines, total: cost.naive.total },
  ];
  const items: string[] = [];
  const rows = designs.flatMap(({ design, lines }) =>
    lines
      .filter((l) => l.usdPerMillion > 0)
      .map((l) => {
        const item = shortItem(l.item);
        if (!items.includes(item)) items.push(item);
        return { design, item, usd: l.usdPerMillion, order: items.indexOf(item) };
      }),
  );
  const totals = designs.map(({ design, total }) => ({ design, total, label: `$${total.toFixed(2)}` }));
  const y = {
    field: 'design',
    type: 'nominal',
    title: null,
    sort: designs.map((d) => d.design),
    axis: { labelFontSize: 12 },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Cost per million exports on AWS, by line item',
      subtitle: 'us-east-1 list prices, on-demand Kinesis; items that cost nothing per export are left out',
    },
    config: CONFIG,
    width: WIDTH,
    height: 110,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          y,
          x: {
            field: 'usd',
            type: 'quantitative',
            aggregate: 'sum',
            title: 'USD per million exports',
            axis: { format: '$.2f' },
          },
          color: {
            field: 'item',
            type: 'nominal',
            title: 'line item',
            scale: { domain: items, scheme: 'tableau20' },
            legend: { orient: 'bottom', columns: 2, labelLimit: 600, symbolType: 'square' },
          },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: totals },
        mark: { type: 'text', align: 'left', dx: 5, fontSize: 12, fontWeight: 'bold' },
        encoding: { y, x: { field: 'total', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to SVG text in Node (no canvas: text widths are estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** One chart file, or why it was not drawn. */
export type ChartOutcome =
  | { readonly file: string; readonly svg: string }
  | { readonly file: string; readonly skipped: string };

/**
 * Every chart of the results, in a fixed order. A chart whose section is missing or failed in its
 * run is skipped with the reason (the others are still drawn).
 */
export async function buildCharts(results: Record<string, unknown>): Promise<ChartOutcome[]> {
  const charts: [string, () => TopLevelSpec | undefined][] = [
    ['local-stack.svg', () => localStackSpec(resultsSection(results, 'e2e', e2eChartSchema))],
    ['capacity-model.svg', () => capacityModelSpec(resultsSection(results, 'model', modelSchema))],
    ['model-vs-local.svg', () => modelVsLocalSpec(resultsSection(results, 'model', modelSchema))],
    ['cost-per-million.svg', () => costSpec(resultsSection(results, 'cost', costSchema))],
  ];
  const outcomes: ChartOutcome[] = [];
  for (const [file, spec] of charts) {
    let built: TopLevelSpec | undefined;
    try {
      built = spec();
    } catch (error) {
      outcomes.push({ file, skipped: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (built === undefined) outcomes.push({ file, skipped: 'no data for it in the results' });
    else outcomes.push({ file, svg: await renderSvg(built) });
  }
  return outcomes;
}

/**
 * Draws every chart of `results` into `dir` (default `bench/charts/`), replacing the SVG files there.
 * @returns what was written and what was skipped, one line each.
 */
export async function writeCharts(
  results: Record<string, unknown>,
  dir: string = CHARTS_DIR,
): Promise<string[]> {
  const outcomes = await buildCharts(results);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.endsWith('.svg')) rmSync(join(dir, old));
  return outcomes.map((o) => {
    if ('skipped' in o) return `${o.file}: not drawn: ${o.skipped}`;
    writeFileSync(join(dir, o.file), o.svg);
    return `${join(dir, o.file)} (${(o.svg.length / 1024).toFixed(1)} KB)`;
  });
}
