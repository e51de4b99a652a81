import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { PIPELINE_SETTINGS } from '../../../core/pipeline-settings.js';
import {
  deriveMappingSettings,
  mappingSettingsFor,
  throughputOf,
} from '../../../core/throughput-settings.js';

const example = parseConfig(JSON.parse(readFileSync('examples/config.json', 'utf8')));

describe('mapping settings derived from the expected peak', () => {
  it('gives the settings module its values at the default peak (the deployed mappings stay as they were)', () => {
    expect(throughputOf(example).peakWritesPerSecond).toBe(
      PIPELINE_SETTINGS.throughput.defaultPeakWritesPerSecond,
    );
    const settings = mappingSettingsFor(example);
    expect(settings.parallelizationFactor).toBe(PIPELINE_SETTINGS.decide.parallelizationFactor);
    expect(settings.maxConcurrency).toBe(PIPELINE_SETTINGS.export.maxConcurrency);
    expect(settings.warnings).toEqual([]);
  });

  it.each([200, 1_000, 5_000, 10_000, 20_000, 50_000])('stays within AWS limits at %i writes/s', (peak) => {
    const s = deriveMappingSettings({ peakWritesPerSecond: peak, destinations: 1 });
    expect(s.parallelizationFactor).toBeGreaterThanOrEqual(1);
    expect(s.parallelizationFactor).toBeLessThanOrEqual(10);
    expect(s.maxConcurrency).toBeGreaterThanOrEqual(20);
    expect(s.maxConcurrency).toBeLessThanOrEqual(1_000);
  });

  it('raises concurrency with the peak and the number of destinations', () => {
    const one = deriveMappingSettings({ peakWritesPerSecond: 10_000, destinations: 1 });
    const two = deriveMappingSettings({ peakWritesPerSecond: 10_000, destinations: 2 });
    const less = deriveMappingSettings({ peakWritesPerSecond: 5_000, destinations: 1 });
    expect(one.maxConcurrency).toBeGreaterThan(less.maxConcurrency);
    expect(two.maxConcurrency).toBeGreaterThan(one.maxConcurrency);
    expect(one.parallelizationFactor).toBeGreaterThan(1);
  });

  it('warns when the peak needs more than the maximum concurrency', () => {
    const s = deriveMappingSettings({ peakWritesPerSecond: 100_000, destinations: 2 });
    expect(s.maxConcurrency).toBe(1_000);
    expect(s.needed.maxConcurrency).toBeGreaterThan(1_000);
    expect(s.warnings.join('\n')).toMatch(/MaximumConcurrency's maximum of 1000/);
  });

  it('warns when a stream the stack creates has fewer provisioned shards than the peak needs', () => {
    const withStream = (shardCount: number) =>
      mappingSettingsFor({
        throughput: { peakWritesPerSecond: 10_000, documentBytes: 6_000 },
        destinations: [
          {
            ...(example.destinations[0] as (typeof example.destinations)[number]),
            createStream: { mode: 'PROVISIONED', shardCount, retentionHours: 24 },
          },
        ],
      });
    expect(withStream(10).warnings.join('\n')).toMatch(
      /destination "marketing": the stream it creates has 10 provisioned shard\(s\); .* need at least 61/,
    );
    expect(withStream(61).warnings).toEqual([]);
  });

  it('reads the peak and the document size from the config, with defaults', () => {
    expect(throughputOf({})).toEqual({ peakWritesPerSecond: 200, documentBytes: 6_000 });
    expect(throughputOf({ throughput: { peakWritesPerSecond: 10_000 } }).peakWritesPerSecond).toBe(10_000);
    expect(() => parseConfig({ ...example, throughput: { peakWritesPerSecond: -1 } })).toThrow(
      /throughput.peakWritesPerSecond: must be above 0/,
    );
  });
});
