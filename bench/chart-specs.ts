/**
 * The Vega-Lite specifications of BENCHMARKS.md's charts, one function per chart, each from its
 * section of `bench/results.json` as `bench/results-file.ts` checks it. Pure: `bench/charts.ts`
 * renders and writes them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { z } from 'zod';
import { LATENCY_PROMISE_MS } from '../core/capacity/parameters.js';
import {
  CONFIG,
  diagonal,
  integer,
  LOCAL_P95_TARGET_MS,
  LOG_LATENCY_AXIS,
  latencyRows,
  PANEL_HEIGHT,
  PERCENTILE_COLOURS,
  percentileColour,
  referenceLine,
  STAGE_NAMES,
  shortItem,
  WIDTH,
} from './chart-style.js';
import type { costSchema, e2eChartSchema, modelSchema } from './results-file.js';

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
