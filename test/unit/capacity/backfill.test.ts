import { describe, expect, it } from 'vitest';
import {
  backfillReadPace,
  modelBackfill,
  readUnitsPerItem,
  scanLayout,
} from '../../../core/capacity/backfill.js';
import { PLANNING_TIMINGS } from '../../../core/capacity/parameters.js';
import { AWS_PRICES } from '../../../core/capacity/prices.js';
import { PIPELINE_SETTINGS } from '../../../core/pipeline-settings.js';

describe('backfill read pace', () => {
  it.each([
    [
      'a provisioned table: the share of its read capacity',
      { billing: 'PROVISIONED', provisionedReadUnits: 4_000 },
      1_000,
    ],
    [
      'a new on-demand table: the share of the per-table quota (40,000)',
      { billing: 'PAY_PER_REQUEST' },
      10_000,
    ],
    [
      'an on-demand table with its own maximum',
      { billing: 'PAY_PER_REQUEST', maxReadUnitsPerSecond: 8_000 },
      2_000,
    ],
    [
      'an on-demand table never above what it serves at once',
      { billing: 'PAY_PER_REQUEST', warmReadUnitsPerSecond: 6_000 },
      6_000,
    ],
  ] as const)('%s', (_what, facts, pace) => {
    expect(backfillReadPace(facts, PIPELINE_SETTINGS.backfill.maxReadCapacityShare)).toBe(pace);
  });

  it('charges half a read unit per 4 KB scanned (eventually consistent, cumulative)', () => {
    expect(readUnitsPerItem(4_096)).toBe(0.5);
    expect(readUnitsPerItem(8_192)).toBe(1);
  });
});

describe('scan layout', () => {
  it('gives the scan enough segments and workers to read at its pace', () => {
    const layout = scanLayout({
      readUnitsPerSecond: 10_000,
      itemBytes: 5_400,
      timings: PLANNING_TIMINGS,
      memoryMb: 1024,
    });
    expect(layout.itemsPerSecond).toBeCloseTo(10_000 / readUnitsPerItem(5_400));
    expect(layout.totalSegments).toBeGreaterThan(PIPELINE_SETTINGS.backfill.totalSegments);
    expect(layout.workers).toBeGreaterThan(1);
    expect(layout.workers).toBeLessThanOrEqual(layout.totalSegments);
  });

  it('gives a small table (or one whose item count is not known yet) the least segments and one worker', () => {
    for (const itemCount of [0, 65, 150_000]) {
      const layout = scanLayout({
        readUnitsPerSecond: 10_000,
        itemBytes: 5_400,
        timings: PLANNING_TIMINGS,
        memoryMb: 1024,
        itemCount,
      });
      expect(layout.workers).toBe(1);
      expect(layout.totalSegments).toBeLessThanOrEqual(
        Math.max(PIPELINE_SETTINGS.backfill.totalSegments, itemCount / 2_000 + 1),
      );
    }
  });

  it('keeps the least number of segments on a small pace', () => {
    const layout = scanLayout({
      readUnitsPerSecond: 100,
      itemBytes: 5_400,
      timings: PLANNING_TIMINGS,
      memoryMb: 1024,
    });
    expect(layout.totalSegments).toBe(PIPELINE_SETTINGS.backfill.totalSegments);
    expect(layout.workers).toBe(1);
  });
});

describe('the backfill of a deploy', () => {
  const tenMillion = modelBackfill({
    profiles: 10_000_000,
    itemBytes: 5_400,
    segments: 50,
    destinations: 1,
    memberShare: 1,
    table: { billing: 'PAY_PER_REQUEST' },
    timings: PLANNING_TIMINGS,
    memoryMb: PIPELINE_SETTINGS.backfill.memoryMb,
    exportMessagesPerSecond: 10_000,
  });

  it('scans 10 million profiles for 50 newly mapped segments once, in at most 15 minutes at the default share', () => {
    expect(tenMillion.scans).toBe(1);
    expect(tenMillion.minutes).toBeLessThanOrEqual(15);
    expect(tenMillion.minutes).toBeCloseTo(tenMillion.readUnits / 10_000 / 60);
  });

  it('prices the reads at on-demand read units', () => {
    expect(tenMillion.readUnits).toBeCloseTo(10_000_000 * readUnitsPerItem(5_400));
    expect(tenMillion.readCostUsd).toBeCloseTo(tenMillion.readUnits * AWS_PRICES.dynamodbReadRequestUnit.usd);
  });

  it('delivers no sooner than the export capacity left allows', () => {
    expect(tenMillion.deliveredMinutes).toBeGreaterThanOrEqual(tenMillion.minutes);
    expect(tenMillion.deliveredMinutes).toBeCloseTo(10_000_000 / 10_000 / 60);
  });
});
