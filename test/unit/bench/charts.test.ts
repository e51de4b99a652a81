import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCharts, writeCharts } from '../../../bench/charts.js';

/** A small results file of the shape `npm run bench` writes: three local steps, three model steps, two cost lines each. */
function results(): Record<string, unknown> {
  const step = (target: number, achieved: number, p50: number, p95: number, sustained: boolean) => ({
    targetPerSecond: target,
    achievedPerSecond: achieved,
    writes: target * 5,
    delivered: target * 5,
    p50Ms: p50,
    p95Ms: p95,
    p99Ms: p95 + 40,
    sustained,
  });
  const modelStep = (offered: number, over: boolean) => ({
    offeredPerSecond: offered,
    deliveredPerSecond: over ? 14_381 : offered,
    exportsOfferedPerSecond: offered * 0.75,
    exportsDeliveredPerSecond: over ? 9_384 : offered * 0.75,
    backlogGrowthPerSecond: over ? 5_614 : 0,
    minutesToPromise: over ? 26.7 : null,
    p50Ms: over ? 10_305 : 397,
    p95Ms: over ? 16_772 : 544,
    p99Ms: over ? 17_327 : 562,
    bottleneck: over ? 'kinesis-shards' : 'none',
    bottleneckExportsPerSecond: over ? 9_508 : null,
  });
  return {
    generatedAt: '2026-12-01T07:02:47.392Z',
    e2e: {
      profiles: 2_000,
      writeMs: 4.8,
      sustainedPerSecond: 400,
      rawWritesPerSecond: 625,
      rawWritesPerSecondAfterSteps: 693,
      steps: [
        step(100, 100, 227, 374, true),
        step(400, 399.2, 264, 501, true),
        step(600, 481.4, 503, 988, false),
      ],
      handlerMs: {
        decideFit: { fixedMs: 5.5, perItemMs: 0.84 },
        exportFit: { fixedMs: 2.1, perItemMs: 3.7 },
      },
      localLatencies: { streamLagMs: 3.1, getRecordsMs: 3.1, queueLatencyMs: 11.6 },
    },
    model: {
      peakWritesPerSecond: 10_000,
      steps: [modelStep(1_000, false), modelStep(10_000, false), modelStep(20_000, true)],
      localValidation: {
        steps: [
          {
            offeredPerSecond: 100,
            sustained: true,
            measuredP50Ms: 227,
            modelP50Ms: 191,
            measuredP95Ms: 374,
            modelP95Ms: 315,
          },
          {
            offeredPerSecond: 400,
            sustained: true,
            measuredP50Ms: 264,
            modelP50Ms: 176,
            measuredP95Ms: 501,
            modelP95Ms: 344,
          },
        ],
      },
    },
    cost: {
      pipeline: {
        lines: [
          { item: 'export Lambda requests', usdPerMillion: 0.02 },
          { item: 'Kinesis data in (on-demand)', usdPerMillion: 0.4578 },
          { item: 'DynamoDB Streams reads by the Lambda trigger', usdPerMillion: 0 },
        ],
        total: 0.4778,
      },
      naive: {
        lines: [
          {
            item: 'SQS standard SendMessage + ReceiveMessage + DeleteMessage, one each per export',
            usdPerMillion: 1.2,
          },
          { item: 'Kinesis data in (on-demand)', usdPerMillion: 0.4578 },
        ],
        total: 1.6578,
      },
    },
  };
}

/** The text of an SVG's `<text>` elements. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] as string);
}

async function chart(file: string, input = results()): Promise<string> {
  const found = (await buildCharts(input)).find((c) => c.file === file);
  if (found === undefined || !('svg' in found))
    throw new Error(`${file} was not drawn: ${JSON.stringify(found)}`);
  return found.svg;
}

describe('buildCharts()', () => {
  it('draws the local steps: delivered and p50/p95/p99 against the offered rate, with the 1 s target', async () => {
    const svg = await chart('local-stack.svg');
    expect(svg.startsWith('<svg')).toBe(true);
    const labels = texts(svg);
    expect(labels).toContain('Local stack: delivered rate and latency against the offered rate');
    expect(labels).toContain('offered profile writes/s (the step’s target)');
    expect(labels).toContain('delivered writes/s');
    expect(labels).toContain('write → Kinesis, ms');
    for (const series of ['p50', 'p95', 'p99', 'sustained', 'not sustained'])
      expect(labels).toContain(series);
    expect(labels).toContain('p95 target on the local stack: 1 s');
    expect(labels).toContain('DynamoDB Local’s raw write rate: 693/s');
  });

  it('draws a local step that has no latency (nothing delivered: NaN in the run) without its latency points', async () => {
    const input = results();
    const steps = (input.e2e as { steps: Record<string, unknown>[] }).steps;
    Object.assign(steps[2] as object, { delivered: 0, p50Ms: Number.NaN, p95Ms: null, p99Ms: Number.NaN });
    const svg = await chart('local-stack.svg', input);
    expect(texts(svg)).toContain('p95');
  });

  it('draws the model: both delivered rates, the bottleneck, the minutes left and the 10-minute promise on a log scale', async () => {
    const labels = texts(await chart('capacity-model.svg'));
    for (const series of ['profile writes completed', 'exports into Kinesis', 'p50', 'p95', 'p99'])
      expect(labels).toContain(series);
    expect(labels).toContain('bottleneck: the Kinesis shards (kinesis-shards), 9,508 exports/s');
    expect(labels).toContain('27 min');
    expect(labels).toContain('write → Kinesis (log scale)');
    expect(labels).toContain('the page’s promise: p95 within 10 minutes');
    expect(labels).toContain('10 min');
  });

  it('draws the model against the measured local steps', async () => {
    const labels = texts(await chart('model-vs-local.svg'));
    for (const series of ['measured p50', 'measured p95', 'model p50', 'model p95'])
      expect(labels).toContain(series);
  });

  it('stacks the cost lines that cost something, with each design’s total', async () => {
    const labels = texts(await chart('cost-per-million.svg'));
    expect(labels).toContain('this design');
    expect(labels).toContain('naive design');
    expect(labels).toContain('$0.48');
    expect(labels).toContain('$1.66');
    expect(labels).toContain('Kinesis data in');
    expect(labels).toContain('SQS standard SendMessage + ReceiveMessage + DeleteMessage');
    expect(labels).not.toContain('DynamoDB Streams reads by the Lambda trigger');
  });

  it('gives the same bytes for the same results', async () => {
    const first = await buildCharts(results());
    const second = await buildCharts(results());
    expect(second).toEqual(first);
  });

  it('skips, with the reason, a chart whose section failed in its run, and draws the others', async () => {
    const input = { ...results(), cost: { error: 'cost model: prices missing' } };
    const outcomes = await buildCharts(input);
    expect(outcomes.find((o) => o.file === 'cost-per-million.svg')).toEqual({
      file: 'cost-per-million.svg',
      skipped: expect.stringMatching(
        /results\.cost: that section failed in its run: cost model: prices missing/,
      ),
    });
    expect(outcomes.filter((o) => 'svg' in o).map((o) => o.file)).toEqual([
      'local-stack.svg',
      'capacity-model.svg',
      'model-vs-local.svg',
    ]);
  });

  it('names the missing field of a results file from an older bench', async () => {
    const input = results();
    const model = input.model as { steps: Record<string, unknown>[] };
    delete model.steps[0]?.exportsDeliveredPerSecond;
    const outcome = (await buildCharts(input)).find((o) => o.file === 'capacity-model.svg');
    expect(outcome).toMatchObject({
      skipped: expect.stringMatching(/results\.model\.steps\.0\.exportsDeliveredPerSecond/),
    });
  });
});

describe('writeCharts()', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the SVG files of the folder with the charts drawn', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kd-charts-'));
    writeFileSync(join(dir, 'stale.svg'), '<svg/>');
    const lines = await writeCharts(results(), dir);
    expect(lines).toHaveLength(4);
    expect(readdirSync(dir).sort()).toEqual([
      'capacity-model.svg',
      'cost-per-million.svg',
      'local-stack.svg',
      'model-vs-local.svg',
    ]);
    expect(readFileSync(join(dir, 'cost-per-million.svg'), 'utf8')).toMatch(/^<svg /);
  });
});
