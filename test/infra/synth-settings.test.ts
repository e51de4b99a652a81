import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { deriveMappingSettings } from '../../core/throughput-settings.js';
import { configWith, synth } from './synth.js';

/** The example config sized for 10,000 writes/s, its first destination creating a 10-shard stream. */
const peak = configWith((raw) => {
  raw.throughput = { peakWritesPerSecond: 10_000, documentBytes: 6_000 };
  Object.assign(raw.destinations[0] as object, { createStream: { mode: 'PROVISIONED', shardCount: 10 } });
});

describe('the construct sized for a peak', () => {
  const { stack, template } = synth(peak);
  const expected = deriveMappingSettings({ peakWritesPerSecond: 10_000, destinations: 2 });

  it('sets the decide factor and the export concurrency derived from the peak', () => {
    expect(expected.parallelizationFactor).toBeGreaterThan(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ParallelizationFactor: expected.parallelizationFactor,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: expected.maxConcurrency },
    });
  });

  it('warns at synth that the created stream cannot carry the peak, naming the shards it needs', () => {
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'destination "marketing": the stream it creates has 10 provisioned shard\\(s\\).*need at least 61',
      ),
    );
  });
});
