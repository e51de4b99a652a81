import { describe, expect, it } from 'vitest';
import { awsModel } from '../../../core/capacity/models.js';
import { ENVELOPE_WORKLOAD, type PipelineModel } from '../../../core/capacity/parameters.js';
import { simulate } from '../../../core/capacity/simulation.js';

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
    expect(r.bottleneck).toBeNull();
    expect(r.complete).toBe(true);
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
});
