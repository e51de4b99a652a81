import { describe, expect, it } from 'vitest';
import { awsModel } from '../../../core/capacity/models.js';
import { ENVELOPE_WORKLOAD, type PipelineModel } from '../../../core/capacity/parameters.js';
import {
  bindingStage,
  concurrencyNeeded,
  decideLaneRecordsPerSecond,
  exportSlotMessagesPerSecond,
  minimumKinesisShards,
  recommendedKinesisShards,
  stageCapacities,
  streamShardsFor,
  writeUnitsPerWrite,
} from '../../../core/capacity/sizing.js';

describe('capacity arithmetic', () => {
  it.each([
    [1, 1],
    [1024, 1],
    [1025, 2],
    [5400, 6],
  ])('a %i-byte item costs %i write units', (bytes, units) => {
    expect(writeUnitsPerWrite(bytes)).toBe(units);
  });

  it.each([
    // writes/s, item bytes, shards: one per partition of 1,000 write units/s
    [100, 1000, 1],
    [1000, 1000, 1],
    [1001, 1000, 2],
    [10_000, 5400, 60],
    [20_000, 5400, 120],
  ])('%i writes/s of %i-byte items make %i stream shards', (writes, bytes, shards) => {
    expect(streamShardsFor(writes, bytes)).toBe(shards);
  });

  it.each([
    // records/s, record bytes, minimum shards (1 MB/s = 10^6 bytes and 1,000 records/s per shard)
    [10_000, 6_036, 61],
    [10_000, 6_000, 60],
    [10_000, 50, 10],
    [999, 10, 1],
    [1, 1_048_576, 2],
  ])('%i records/s of %i bytes need at least %i Kinesis shards', (rate, bytes, shards) => {
    const n = minimumKinesisShards(rate, bytes);
    expect(n).toBe(shards);
    // The count carries the rate at both per-shard limits, and one shard fewer does not.
    expect(n * 1_000_000).toBeGreaterThanOrEqual(rate * bytes);
    expect(n * 1_000).toBeGreaterThanOrEqual(rate);
    expect((n - 1) * 1_000_000 >= rate * bytes && (n - 1) * 1_000 >= rate).toBe(false);
  });

  it('recommends more Kinesis shards than the minimum, for uneven hashing', () => {
    expect(recommendedKinesisShards(10_000, 6_036)).toBe(76);
    expect(recommendedKinesisShards(10_000, 6_036)).toBeGreaterThan(minimumKinesisShards(10_000, 6_036));
  });

  it('derives what one export slot and one decide lane handle from the code timings', () => {
    expect(
      exportSlotMessagesPerSecond({ exportBatchSize: 10, exportInvocationMs: 40, exportMessageMs: 6 }),
    ).toBe(100);
    expect(
      decideLaneRecordsPerSecond({
        decideBatchSize: 100,
        decideInvocationMs: 30,
        decideRecordMs: 1.5,
        getRecordsMs: 20,
      }),
    ).toBe(500);
  });
});

function model(overrides: Partial<PipelineModel> & { rate: number }): PipelineModel {
  const base = awsModel({
    workload: ENVELOPE_WORKLOAD,
    writesPerSecond: overrides.rate,
    parallelizationFactor: 4,
    maxConcurrency: 200,
    kinesis: { mode: 'provisioned', shards: 100 },
  });
  return { ...base, ...overrides };
}

describe('the stage that binds first', () => {
  it.each<[string, Partial<PipelineModel> & { rate: number }, string | null]>([
    ['nothing at a light rate', { rate: 1_000 }, null],
    [
      'export concurrency when maxConcurrency is small',
      { rate: 5_000, exportConcurrency: 10 },
      'export-concurrency',
    ],
    [
      'the Kinesis shards when there are too few',
      { rate: 5_000, kinesis: { mode: 'provisioned', shards: 2 } },
      'kinesis-shards',
    ],
    [
      'an on-demand stream at its current capacity',
      { rate: 5_000, kinesis: { mode: 'on-demand', bytesPerSecond: 4e6, recordsPerSecond: 4_000 } },
      'kinesis-on-demand',
    ],
    [
      'decide when a hot shard outruns one slow lane',
      {
        rate: 5_000,
        parallelizationFactor: 1,
        decideRecordMs: 10,
        workload: { ...ENVELOPE_WORKLOAD, itemBytes: 800 },
      },
      'decide-per-shard',
    ],
  ])('%s', (_what, m, stage) => {
    const capacities = stageCapacities(model(m)).filter((c) => c.stage !== 'profile-table-writes');
    expect(bindingStage(capacities, m.rate)?.stage ?? null).toBe(stage);
  });

  it("names the table's write quota at 10,000 writes/s of 5.4 KB profiles", () => {
    const table = stageCapacities(model({ rate: 10_000 })).find((c) => c.stage === 'profile-table-writes');
    expect(table?.writesPerSecond).toBeCloseTo(40_000 / 6);
    expect(bindingStage(stageCapacities(model({ rate: 10_000 })), 10_000)?.stage).toBe(
      'profile-table-writes',
    );
  });

  it('counts the Lambda concurrency of decide lanes and export invocations', () => {
    expect(concurrencyNeeded({ streamShards: 60, parallelizationFactor: 4, exportConcurrency: 158 })).toBe(
      398,
    );
  });
});
