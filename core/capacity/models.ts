/**
 * The model of a deployment (AWS: the settings, the assumed platform latencies, measured code
 * timings) and of the local stack (the emulators' measured latencies and the local runtime's
 * settings), in the shape the simulation runs.
 */
import { PIPELINE_SETTINGS } from '../pipeline-settings.js';
import {
  AWS_ASSUMED_LATENCIES,
  type CodeTimings,
  type KinesisCapacity,
  type PipelineModel,
  PLANNING_TIMINGS,
  type PlatformLatencies,
  type Workload,
} from './parameters.js';
import { streamShardsFor } from './sizing.js';

const retry = {
  baseMs: PIPELINE_SETTINGS.putRecords.baseBackoffMs,
  maxMs: PIPELINE_SETTINGS.putRecords.maxBackoffMs,
  maxAttempts: PIPELINE_SETTINGS.putRecords.maxAttempts,
};

/** What an AWS deployment's model is built from. */
export interface AwsModelInput {
  readonly workload: Workload;
  /** Writes per second the table takes (sizes its partitions, hence the stream's shards). */
  readonly writesPerSecond: number;
  readonly parallelizationFactor: number;
  readonly maxConcurrency: number;
  readonly kinesis: KinesisCapacity;
  /** @default PLANNING_TIMINGS */
  readonly timings?: CodeTimings;
  /** @default AWS_ASSUMED_LATENCIES */
  readonly latencies?: PlatformLatencies;
}

/** The deployed pipeline with the settings of core/pipeline-settings.ts. */
export function awsModel(input: AwsModelInput): PipelineModel {
  const d = PIPELINE_SETTINGS.decide;
  return {
    ...(input.timings ?? PLANNING_TIMINGS),
    ...(input.latencies ?? AWS_ASSUMED_LATENCIES),
    workload: input.workload,
    streamShards: streamShardsFor(input.writesPerSecond, input.workload.itemBytes),
    parallelizationFactor: input.parallelizationFactor,
    decideBatchSize: d.batchSize,
    pollIntervalMs: d.pollIntervalMs,
    exportBatchSize: PIPELINE_SETTINGS.export.batchSize,
    exportConcurrency: input.maxConcurrency,
    kinesis: input.kinesis,
    retry,
    visibilityTimeoutMs: PIPELINE_SETTINGS.exportQueue.visibilityTimeoutSeconds * 1000,
  };
}

/** What the local stack's model is built from: this run's measurements on the emulators. */
export interface LocalModelInput {
  readonly timings: CodeTimings;
  readonly latencies: PlatformLatencies;
  readonly workload: Workload;
}

/**
 * The local stack as `startLocalStack` runs it: DynamoDB Local's one stream shard, the local
 * parallelization factor and export concurrency, the scaled visibility timeout, kinesalite (one
 * shard, no throttling).
 */
export function localModel(input: LocalModelInput): PipelineModel {
  const d = PIPELINE_SETTINGS.decide;
  return {
    ...input.timings,
    ...input.latencies,
    workload: input.workload,
    streamShards: 1,
    parallelizationFactor: d.localParallelizationFactor,
    decideBatchSize: d.batchSize,
    pollIntervalMs: d.pollIntervalMs,
    exportBatchSize: PIPELINE_SETTINGS.export.batchSize,
    exportConcurrency: PIPELINE_SETTINGS.export.localConcurrency,
    kinesis: { mode: 'on-demand', bytesPerSecond: 1e12, recordsPerSecond: 1e9 },
    retry,
    visibilityTimeoutMs:
      PIPELINE_SETTINGS.exportQueue.visibilityTimeoutSeconds * 1000 * PIPELINE_SETTINGS.localTimeScale,
  };
}
