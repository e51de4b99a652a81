import { describe, expect, it } from 'vitest';
import { monthlyCost } from '../../../core/capacity/cost.js';
import { awsModel } from '../../../core/capacity/models.js';
import { ENVELOPE_WORKLOAD } from '../../../core/capacity/parameters.js';
import { AWS_PRICES, HOURS_PER_MONTH } from '../../../core/capacity/prices.js';
import type { SimulationResult } from '../../../core/capacity/simulation.js';

const model = awsModel({
  workload: { ...ENVELOPE_WORKLOAD, exportShare: 1, recordBytes: 6_036, destinations: 1 },
  writesPerSecond: 1_000,
  parallelizationFactor: 1,
  maxConcurrency: 20,
  kinesis: { mode: 'provisioned', shards: 8 },
});

/** A run of 1,000 writes/s: every write exported, 100 decide and 200 export invocations. */
const simulation = {
  offeredPerSecond: 1_000,
  writes: 1_000,
  exports: 1_000,
  invocations: { decide: 100, decideMs: 10_000, export: 200, exportMs: 20_000 },
} as unknown as SimulationResult;

const seconds = HOURS_PER_MONTH * 3600;

describe('monthly cost at a sustained rate', () => {
  const cost = monthlyCost({ model, simulation, provisionedShards: 8 });

  it('bills provisioned Kinesis by the shard-hour plus 25 KB payload units', () => {
    const expected =
      8 * HOURS_PER_MONTH * AWS_PRICES.kinesisShardHour.usd +
      1_000 * seconds * AWS_PRICES.kinesisPutPayloadUnit.usd;
    expect(cost.kinesisProvisionedUsd).toBeCloseTo(expected, 6);
  });

  it('bills on-demand Kinesis by the GB of 1 KB-rounded records plus the stream-hours', () => {
    const gb = (1_000 * seconds * 6 * 1024) / 1024 ** 3;
    expect(cost.kinesisOnDemandUsd).toBeCloseTo(
      gb * AWS_PRICES.kinesisOnDemandGbIn.usd + HOURS_PER_MONTH * AWS_PRICES.kinesisOnDemandStreamHour.usd,
      6,
    );
  });

  it('bills one strongly consistent read of the ledger state per export invocation, and no write in steady state', () => {
    const ledger = cost.lines.find((l) => l.item.startsWith('state table'));
    expect(ledger?.usd).toBeCloseTo(200 * seconds * AWS_PRICES.dynamodbReadRequestUnit.usd, 6);
  });

  it('bills Lambda requests and GB-seconds per invocation, scaled to the month', () => {
    const decide = cost.lines.find((l) => l.item.startsWith('decide'));
    // 0.1 invocations and 10 ms per write, 512 MB.
    const perSecond = 100 * AWS_PRICES.lambdaRequest.usd + 10 * 0.5 * AWS_PRICES.lambdaArmGbSecond.usd;
    expect(decide?.usd).toBeCloseTo(perSecond * seconds, 6);
  });

  it('adds the lines up', () => {
    const sum = cost.lines.reduce((s, l) => s + l.usd, 0);
    expect(cost.totalWithProvisionedUsd).toBeCloseTo(sum + cost.kinesisProvisionedUsd, 6);
    expect(cost.totalWithOnDemandUsd).toBeCloseTo(sum + cost.kinesisOnDemandUsd, 6);
  });
});
