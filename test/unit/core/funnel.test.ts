import { describe, expect, it } from 'vitest';
import {
  buildFunnelView,
  type CountPoint,
  funnelExportReason,
  percentile,
  sparkline,
  summarizeLatency,
  TREND_BUCKETS,
  trendBucketMs,
} from '../../../core/funnel.js';
import { type EmfDocument, funnelFromEmf, funnelSamplesOf } from '../../../core/funnel-emf.js';
import { renderFunnel } from '../../../core/funnel-render.js';
import { FUNNEL_COUNTS, FUNNEL_METRIC, METRIC_NAMES } from '../../../core/metric-names.js';

const HOUR = 3_600_000;
const TO = Date.UTC(2026, 0, 1, 12);
const window = { from: TO - HOUR, to: TO };
const at = (minutesAgo: number) => TO - minutesAgo * 60_000;

describe('percentile()', () => {
  it.each([
    { values: [], p: 50, expected: null },
    { values: [7], p: 95, expected: 7 },
    { values: [1, 2, 3, 4], p: 50, expected: 2 },
    { values: [1, 2, 3, 4], p: 95, expected: 4 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 95, expected: 95 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 50, expected: 50 },
  ])('is $expected at p$p of $values.length values (nearest rank)', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('summarizeLatency()', () => {
  it('sorts before it ranks and reads the max', () => {
    expect(summarizeLatency([900, 100, 300, 200])).toEqual({ p50: 200, p95: 900, max: 900 });
  });

  it('is all null without values (missing data is not zero)', () => {
    expect(summarizeLatency([])).toEqual({ p50: null, p95: null, max: null });
  });
});

describe('sparkline()', () => {
  it.each([
    { values: [0, 0, 0], expected: '▁▁▁' },
    { values: [1, 2, 4, 8], expected: '▁▂▄█' },
    { values: [5], expected: '█' },
    { values: [0, 8, 0], expected: '▁█▁' },
  ])('draws $values as $expected', ({ values, expected }) => {
    expect(sparkline(values)).toBe(expected);
  });
});

describe('trendBucketMs()', () => {
  it.each([
    { span: HOUR, expected: 5 * 60_000 },
    { span: 24 * HOUR, expected: 2 * HOUR },
    { span: 60_000, expected: 60_000 },
  ])('splits $span ms into buckets of $expected ms', ({ span, expected }) => {
    expect(trendBucketMs({ from: 0, to: span })).toBe(expected);
  });
});

describe('funnelExportReason()', () => {
  it.each([
    { reasons: ['segment-membership', 'mapped-attribute'], expected: 'segment' },
    { reasons: ['profile-deleted'], expected: 'segment' },
    { reasons: ['identity-map', 'mapped-attribute'], expected: 'identity' },
    { reasons: ['mapped-attribute'], expected: 'attribute' },
    { reasons: ['backfill'], expected: 'backfill' },
  ] as const)('counts $reasons under $expected', ({ reasons, expected }) => {
    expect(funnelExportReason(reasons)).toBe(expected);
  });
});

describe('buildFunnelView()', () => {
  const point = (metric: string, value: number, minutesAgo = 1, destination = 'marketing'): CountPoint => ({
    destination,
    metric,
    t: at(minutesAgo),
    value,
  });

  it('sums each stage and reason of a destination over the window', () => {
    const view = buildFunnelView({
      window,
      destinations: ['marketing'],
      counts: [
        point(FUNNEL_METRIC.evaluated, 10),
        point(FUNNEL_METRIC.evaluated, 5, 30),
        point(FUNNEL_METRIC.exported.segment, 6),
        point(FUNNEL_METRIC.exported.identity, 2),
        point(FUNNEL_METRIC.skipped['no-relevant-change'], 4),
        point(FUNNEL_METRIC.rejected.INVALID_RECORD, 3),
        point(FUNNEL_METRIC.delivered, 7),
        point(FUNNEL_METRIC.retried, 1),
        point(FUNNEL_METRIC.deadLettered, 1),
        point(FUNNEL_METRIC.redriven, 1),
      ],
      latency: new Map([['marketing', { p50: 300, p95: 800, max: 900 }]]),
      alarms: new Map([['marketing', ['ExportLatencyP95']]]),
    });

    expect(view.report).toEqual({
      window: { from: '2026-01-01T11:00:00.000Z', to: '2026-01-01T12:00:00.000Z' },
      destinations: [
        {
          id: 'marketing',
          evaluated: 15,
          exported: { segment: 6, identity: 2 },
          skipped: { 'no-relevant-change': 4 },
          rejected: { INVALID_RECORD: 3 },
          delivered: 7,
          retried: 1,
          deadLettered: 1,
          redriven: 1,
          latencyMs: { p50: 300, p95: 800, max: 900 },
          alarms: ['ExportLatencyP95'],
        },
      ],
    });
  });

  it('reads zeros and null latency for a destination without data', () => {
    const view = buildFunnelView({ window, destinations: ['crm'], counts: [], latency: new Map() });

    expect(view.report.destinations[0]).toMatchObject({
      evaluated: 0,
      exported: {},
      delivered: 0,
      latencyMs: { p50: null, p95: null, max: null },
      alarms: [],
    });
  });

  it('leaves out points outside the window, of other destinations, and of other metrics', () => {
    const view = buildFunnelView({
      window,
      destinations: ['marketing'],
      counts: [
        point(FUNNEL_METRIC.delivered, 1, 61),
        { ...point(FUNNEL_METRIC.delivered, 1), t: TO },
        point(FUNNEL_METRIC.delivered, 1, 1, 'crm'),
        point('RecordsPut', 1),
        point(FUNNEL_METRIC.delivered, Number.NaN),
      ],
      latency: new Map(),
    });

    expect(view.report.destinations[0]?.delivered).toBe(0);
  });

  it('puts each point in its trend bucket, the newest last', () => {
    const view = buildFunnelView({
      window,
      destinations: ['marketing'],
      counts: [point(FUNNEL_METRIC.delivered, 3, 1), point(FUNNEL_METRIC.delivered, 2, 59)],
      latency: new Map(),
    });

    const trend = view.trends.marketing?.delivered ?? [];
    expect(trend).toHaveLength(TREND_BUCKETS);
    expect(trend[0]).toBe(2);
    expect(trend[TREND_BUCKETS - 1]).toBe(3);
  });
});

describe('FUNNEL_COUNTS', () => {
  it('names only declared metrics, each once', () => {
    const names = FUNNEL_COUNTS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(METRIC_NAMES).toContain(name);
  });
});

function emf(
  destination: string | undefined,
  t: number,
  metrics: Record<string, number | number[]>,
): EmfDocument {
  return {
    _aws: {
      Timestamp: t,
      CloudWatchMetrics: [
        {
          Namespace: 'KinesisDestination',
          Dimensions: [destination === undefined ? ['service'] : ['service', 'destination']],
          Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    service: 'kinesis-destination',
    ...(destination === undefined ? {} : { destination }),
    ...metrics,
  };
}

describe('funnelSamplesOf()', () => {
  it('reads the counts and latency values of a destination document', () => {
    const samples = funnelSamplesOf(
      emf('marketing', at(1), { [FUNNEL_METRIC.delivered]: 2, [FUNNEL_METRIC.latency]: [400, 500] }),
    );

    expect(samples?.counts).toEqual([
      { destination: 'marketing', metric: FUNNEL_METRIC.delivered, t: at(1), value: 2 },
    ]);
    expect(samples?.latencies).toEqual([400, 500]);
  });

  it('ignores a pipeline-wide document (no destination dimension)', () => {
    expect(funnelSamplesOf(emf(undefined, at(1), { RecordsPut: 2 }))).toBeUndefined();
  });
});

describe('funnelFromEmf()', () => {
  it('sums counts and computes latency percentiles from every value in the window', () => {
    const docs = [
      emf('marketing', at(2), { [FUNNEL_METRIC.evaluated]: 3, [FUNNEL_METRIC.exported.segment]: 2 }),
      emf('marketing', at(1), { [FUNNEL_METRIC.delivered]: 2, [FUNNEL_METRIC.latency]: [400, 600] }),
      emf('marketing', at(1), { [FUNNEL_METRIC.latency]: 500 }),
      emf('marketing', at(90), { [FUNNEL_METRIC.delivered]: 9, [FUNNEL_METRIC.latency]: 99_000 }),
    ];

    const { report } = funnelFromEmf(docs, { window, destinations: ['marketing'] });

    expect(report.destinations[0]).toMatchObject({
      evaluated: 3,
      exported: { segment: 2 },
      delivered: 2,
      latencyMs: { p50: 500, p95: 600, max: 600 },
    });
  });
});

describe('renderFunnel()', () => {
  it('prints one row per stage with its trend, the latency against the promise and the alarms', () => {
    const view = buildFunnelView({
      window,
      destinations: ['marketing'],
      counts: [{ destination: 'marketing', metric: FUNNEL_METRIC.exported.segment, t: at(1), value: 4 }],
      latency: new Map([['marketing', { p50: 300, p95: 11 * 60_000, max: 12 * 60_000 }]]),
      alarms: new Map([['marketing', ['HighLatency']]]),
    });

    const text = renderFunnel(view);

    expect(text).toContain('destination marketing');
    expect(text).toMatch(/exported\s+4\s+▁{11}█\s+segment 4/);
    for (const stage of [
      'evaluated',
      'skipped',
      'rejected',
      'delivered',
      'retried',
      'dead-lettered',
      'redriven',
    ])
      expect(text).toContain(stage);
    expect(text).toContain('p95 660.0 s (OVER the 10-minute promise)');
    expect(text).toContain('alarms in ALARM: HighLatency');
  });
});
