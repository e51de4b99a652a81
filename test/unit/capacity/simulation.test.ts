import { describe, expect, it } from 'vitest';
import { awsModel } from '../../../core/capacity/models.js';
import { ENVELOPE_WORKLOAD, type PipelineModel } from '../../../core/capacity/parameters.js';
import { backlogOf, simulate } from '../../../core/capacity/simulation.js';
import { exportSlotMessagesPerSecond, kinesisRecordsPerSecond } from '../../../core/capacity/sizing.js';

/** A small deployment: 2,000 writes/s, factor 2, 40 export invocations, 20 shards. */
function small(overrides: Partial<PipelineModel> = {}): PipelineModel {
  return {
    ...awsModel({
      workload: ENVELOPE_WORKLOAD,
      writesPerSecond: 2_000,
      parallelizationFactor: 2,
      maxConcurrency: 40,
      kinesis: { mode: 'provisioned', shards: 20 },
    }),
    ...overrides,
  };
}

const run = (m: PipelineModel, offeredPerSecond = 2_000) =>
  simulate(m, { offeredPerSecond, durationSeconds: 6, drainSeconds: 20, seed: 7 });

describe('the pipeline simulation', () => {
  it('is deterministic for a seed', () => {
    expect(run(small())).toEqual(run(small()));
  });

  it('carries a rate within every stage, with a latency no shorter than the path itself', () => {
    const m = small();
    const r = run(m);
    expect(r.bottleneck).toBe('none');
    expect(r.backlog).toEqual({ growthPerSecond: 0, minutesToPromise: null });
    expect(r.complete).toBe(true);
    expect(r.exportsDeliveredPerSecond).toBeGreaterThan(0.97 * r.exportsOfferedPerSecond);
    expect(r.deliveredPerSecond).toBeGreaterThan(0.95 * 2_000);
    expect(r.deliveredPerSecond).toBeLessThan(1.05 * 2_000);
    const path = m.writeMs + m.streamLagMs + m.getRecordsMs + m.decideInvocationMs + m.queueLatencyMs;
    expect(r.p50Ms).toBeGreaterThan(path);
    expect(r.p95Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p95Ms);
    // About three quarters of the writes export, to one destination.
    expect(r.exports / r.writes).toBeGreaterThan(0.7);
    expect(r.exports / r.writes).toBeLessThan(0.8);
    expect(r.exportConcurrency.max).toBeLessThanOrEqual(40);
    expect(r.decideConcurrency.max).toBeLessThanOrEqual(m.streamShards * 2);
    expect(r.throttledEntries).toBe(0);
  });

  it('names export concurrency when maxConcurrency cannot carry the rate, and delivers less', () => {
    const r = run(small({ exportConcurrency: 4 }));
    expect(r.bottleneck).toBe('export-concurrency');
    expect(r.deliveredPerSecond).toBeLessThan(0.9 * 2_000);
    expect(r.queueDepth.max).toBeGreaterThan(1_000);
  });

  it('names the Kinesis shards when they throttle, and retries the throttled entries', () => {
    const r = run(small({ kinesis: { mode: 'provisioned', shards: 3 } }));
    expect(r.bottleneck).toBe('kinesis-shards');
    expect(r.throttledEntries).toBeGreaterThan(0);
    expect(r.putRecordsCalls).toBeGreaterThan(r.invocations.export);
  });

  it('names decide when one lane per shard cannot keep up with a hot shard', () => {
    const r = run(
      small({
        streamShards: 1,
        parallelizationFactor: 1,
        decideRecordMs: 2,
        workload: { ...ENVELOPE_WORKLOAD, itemBytes: 800 },
      }),
      800,
    );
    expect(r.bottleneck).toBe('decide-per-shard');
    expect(r.utilisation.decide).toBeGreaterThan(0.95);
  });

  it('keeps one profile group to one invocation at a time (few profiles, long waits)', () => {
    const r = run(small({ workload: { ...ENVELOPE_WORKLOAD, profiles: 3 } }), 300);
    expect(r.exportConcurrency.max).toBeLessThanOrEqual(3);
  });

  describe('an overloaded run', () => {
    const capacityOf = (m: PipelineModel) => ({
      kinesis: kinesisRecordsPerSecond(m.kinesis, m.workload.recordBytes),
      exportSlots: exportSlotMessagesPerSecond(m) * m.exportConcurrency,
    });

    it('delivers what the Kinesis shards take when they bind, and the backlog grows by the rest', () => {
      const m = small({ kinesis: { mode: 'provisioned', shards: 3 } });
      const r = run(m);
      expect(r.bottleneck).toBe('kinesis-shards');
      // 3 shards × 164 records/s of 6,100 bytes.
      expect(r.exportsDeliveredPerSecond).toBeGreaterThan(0.95 * capacityOf(m).kinesis);
      expect(r.exportsDeliveredPerSecond).toBeLessThan(1.05 * capacityOf(m).kinesis);
      // The writes that export nothing still complete: a quarter of 2,000, plus the exporting ones delivered.
      expect(r.deliveredPerSecond).toBeGreaterThan(0.9 * (500 + r.exportsDeliveredPerSecond));
      expect(r.backlog.growthPerSecond).toBeCloseTo(
        r.exportsOfferedPerSecond - r.exportsDeliveredPerSecond,
        6,
      );
      expect(r.backlog.growthPerSecond).toBeGreaterThan(900);
      expect(r.backlog.minutesToPromise).toBeCloseTo(
        (10 * r.exportsOfferedPerSecond) / r.backlog.growthPerSecond,
        6,
      );
    });

    it('delivers what export concurrency carries when maxConcurrency binds', () => {
      const m = small({ exportConcurrency: 4 });
      const r = run(m);
      expect(r.bottleneck).toBe('export-concurrency');
      expect(r.exportsDeliveredPerSecond).toBeGreaterThan(0.95 * capacityOf(m).exportSlots);
      expect(r.exportsDeliveredPerSecond).toBeLessThan(1.05 * capacityOf(m).exportSlots);
      expect(r.backlog.minutesToPromise).toBeGreaterThan(10);
    });

    it('reports the bottleneck rate, not 0, when the latency outgrows the time left to drain', () => {
      // 2 export slots take ~180 of 1,500 exports/s: the median export is still waiting at the end.
      const m = small({ exportConcurrency: 2 });
      const r = simulate(m, { offeredPerSecond: 2_000, durationSeconds: 6, drainSeconds: 5, seed: 7 });
      expect(r.complete).toBe(false);
      expect(r.exportsDeliveredPerSecond).toBeGreaterThan(0.95 * capacityOf(m).exportSlots);
      expect(r.deliveredPerSecond).toBeGreaterThan(500);
    });

    it('keeps receiving other groups while throttled exports hold theirs for a visibility timeout', () => {
      // One put attempt: every throttled export waits out the 180 s visibility timeout holding its
      // profile's group, and later exports of that profile wait behind it, tens of thousands of
      // other messages behind them.
      const m = small({
        streamShards: 60,
        exportConcurrency: 100,
        kinesis: { mode: 'provisioned', shards: 30 },
        retry: { baseMs: 50, maxMs: 2_000, maxAttempts: 1 },
      });
      const r = simulate(m, { offeredPerSecond: 10_000, durationSeconds: 10, drainSeconds: 10, seed: 7 });
      expect(r.bottleneck).toBe('kinesis-shards');
      expect(r.exportsDeliveredPerSecond).toBeGreaterThan(0.95 * capacityOf(m).kinesis);
      // A second's burst of each shard's bucket at the start.
      expect(r.exportsDeliveredPerSecond).toBeLessThan(1.1 * capacityOf(m).kinesis);
    });
  });
});

describe('backlogOf()', () => {
  it('grows by offered minus delivered, and passes 10 minutes after 10 × offered ÷ growth minutes', () => {
    const b = backlogOf(15_000, 9_500);
    expect(b.growthPerSecond).toBe(5_500);
    expect(b.minutesToPromise).toBeCloseTo((10 * 15_000) / 5_500, 9);
  });

  it('reports no growth and no deadline when everything offered is delivered', () => {
    expect(backlogOf(100, 100)).toEqual({ growthPerSecond: 0, minutesToPromise: null });
    expect(backlogOf(100, 103)).toEqual({ growthPerSecond: 0, minutesToPromise: null });
  });
});
