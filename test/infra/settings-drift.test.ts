import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { PIPELINE_NODE_FLOOR, pipelineRuntime } from '../../lib/pipeline-function.js';
import { type HandlerBundle, handlerBuildOptions, handlerBundles } from '../../scripts/handler-bundles.js';
import { exampleConfig, synth } from './synth.js';

/**
 * The local stack runs with PIPELINE_SETTINGS; the deployed stack must run with the same values.
 * Every value below is read from the synthesized template and compared to the settings module, so
 * a hand-edited number in lib/ (or a changed setting the stack ignores) fails here.
 */
let template: Template;
type Props = Record<string, unknown>;

beforeAll(() => {
  template = synth(exampleConfig()).template;
});

function only(type: string, logicalIdPrefix: string): Props {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${logicalIdPrefix}*, found ${found.length}`);
  return found[0]?.[1].Properties as Props;
}

describe('settings drift: template vs PIPELINE_SETTINGS', () => {
  it('function runtime: the newest Node.js aws-cdk-lib knows, never older than the bundles target', () => {
    const runtimes = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => (fn.Properties as Props).Layers !== undefined)
      .map(([, fn]) => (fn.Properties as Props).Runtime);
    const major = Number(/^nodejs(\d+)\.x$/.exec(pipelineRuntime().name)?.[1]);

    expect(runtimes).toEqual(Array(4).fill(pipelineRuntime().name));
    expect(major).toBeGreaterThanOrEqual(PIPELINE_NODE_FLOOR);
    expect(handlerBuildOptions(handlerBundles()[0] as HandlerBundle).target).toBe(
      `node${PIPELINE_NODE_FLOOR}`,
    );
  });

  it('decide mapping: bisected, retried until the records expire from the stream', () => {
    const s = PIPELINE_SETTINGS.decide;
    expect(only('AWS::Lambda::EventSourceMapping', 'DecideFunction')).toMatchObject({
      BatchSize: s.batchSize,
      MaximumBatchingWindowInSeconds: s.maxBatchingWindowSeconds,
      MaximumRetryAttempts: s.retryAttempts,
      MaximumRecordAgeInSeconds: s.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: s.bisectBatchOnError,
      ParallelizationFactor: s.parallelizationFactor,
      StartingPosition: s.startingPosition,
    });
    // -1 both: Lambda retries a failing batch until its records leave the stream (24 hours).
    expect([s.retryAttempts, s.maxRecordAgeSeconds]).toEqual([-1, -1]);
    expect(s.bisectBatchOnError).toBe(true);
  });

  it('decide function', () => {
    expect(only('AWS::Lambda::Function', 'DecideFunction')).toMatchObject({
      MemorySize: PIPELINE_SETTINGS.decide.memoryMb,
      Timeout: PIPELINE_SETTINGS.decide.timeoutSeconds,
    });
  });

  it('export mapping', () => {
    const s = PIPELINE_SETTINGS.export;
    const mapping = only('AWS::Lambda::EventSourceMapping', 'ExportFunction');
    expect(mapping).toMatchObject({
      BatchSize: s.batchSize,
      ScalingConfig: { MaximumConcurrency: s.maxConcurrency },
    });
    // FIFO event sources have no batching window; the only valid setting is 0, i.e. absent.
    expect(mapping.MaximumBatchingWindowInSeconds ?? 0).toBe(s.maxBatchingWindowSeconds);
  });

  it('export function', () => {
    expect(only('AWS::Lambda::Function', 'ExportFunction')).toMatchObject({
      MemorySize: PIPELINE_SETTINGS.export.memoryMb,
      Timeout: PIPELINE_SETTINGS.export.timeoutSeconds,
    });
    const env = (only('AWS::Lambda::Function', 'ExportFunction').Environment as { Variables: Props })
      .Variables;
    expect(env.EXPORT_MAX_RECEIVE_COUNT).toBe(String(PIPELINE_SETTINGS.exportQueue.maxReceiveCount));
  });

  it('export queue and its dead-letter queue', () => {
    const queue = only('AWS::SQS::Queue', 'QueuesExportQueue');
    expect(queue).toMatchObject({
      VisibilityTimeout: PIPELINE_SETTINGS.exportQueue.visibilityTimeoutSeconds,
      MessageRetentionPeriod: PIPELINE_SETTINGS.exportQueue.retentionSeconds,
      RedrivePolicy: { maxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount },
    });
    expect(PIPELINE_SETTINGS.exportQueue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * PIPELINE_SETTINGS.export.timeoutSeconds,
    );
    expect(only('AWS::SQS::Queue', 'QueuesDeadLetterQueue')).toMatchObject({
      MessageRetentionPeriod: PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds,
    });
    expect(only('AWS::SQS::Queue', 'QueuesRejectsQueue')).toMatchObject({
      MessageRetentionPeriod: PIPELINE_SETTINGS.rejectsQueue.retentionSeconds,
    });
  });

  it('log retention', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(PIPELINE_SETTINGS.logRetentionDays);
    }
  });
});
