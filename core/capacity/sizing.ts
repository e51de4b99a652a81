/**
 * The capacity arithmetic: shard counts, write units, the rate each stage of the pipeline carries,
 * and which stage binds first. Pure; the simulation (`simulation.ts`) checks the same limits with
 * queueing, batching and skew.
 */
import { PIPELINE_SETTINGS } from '../pipeline-settings.js';
import { aws } from './aws-figures.js';
import type { KinesisCapacity, PipelineModel } from './parameters.js';

/** Utilisation the derived settings aim at: the rest absorbs bursts and per-shard skew. */
export const TARGET_UTILISATION = PIPELINE_SETTINGS.throughput.targetUtilisation;

/** Kinesis shard count headroom: hashing spreads records unevenly over shards. */
export const KINESIS_TARGET_UTILISATION = 0.8;

/** Write request units one write of an item of `itemBytes` costs (1 KB units, rounded up). */
export function writeUnitsPerWrite(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}

/**
 * DynamoDB Streams shards for a write rate: one per table partition, and a partition takes 1,000
 * write units a second. A table can have more partitions (size, past peaks), never fewer.
 */
export function streamShardsFor(writesPerSecond: number, itemBytes: number): number {
  return Math.max(
    1,
    Math.ceil((writesPerSecond * writeUnitsPerWrite(itemBytes)) / aws('partitionWriteUnits')),
  );
}

/** The least number of Kinesis shards that carries `recordsPerSecond` records of `recordBytes` (data + key). */
export function minimumKinesisShards(recordsPerSecond: number, recordBytes: number): number {
  if (recordsPerSecond <= 0) return 1;
  const byBytes = (recordsPerSecond * recordBytes) / aws('kinesisShardBytesPerSecond');
  const byRecords = recordsPerSecond / aws('kinesisShardRecordsPerSecond');
  return Math.max(1, Math.ceil(Math.max(byBytes, byRecords)));
}

/** The shard count to provision: the minimum with headroom for uneven hashing. */
export function recommendedKinesisShards(recordsPerSecond: number, recordBytes: number): number {
  if (recordsPerSecond <= 0) return 1;
  const byBytes = (recordsPerSecond * recordBytes) / aws('kinesisShardBytesPerSecond');
  const byRecords = recordsPerSecond / aws('kinesisShardRecordsPerSecond');
  return Math.max(1, Math.ceil(Math.max(byBytes, byRecords) / KINESIS_TARGET_UTILISATION));
}

/** Records a second a destination stream takes (its per-shard limits, or its on-demand capacity). */
export function kinesisRecordsPerSecond(kinesis: KinesisCapacity, recordBytes: number): number {
  if (kinesis.mode === 'on-demand') {
    return Math.min(kinesis.recordsPerSecond, kinesis.bytesPerSecond / recordBytes);
  }
  return (
    kinesis.shards *
    Math.min(aws('kinesisShardRecordsPerSecond'), aws('kinesisShardBytesPerSecond') / recordBytes)
  );
}

/** Messages a second one export invocation slot handles (full batches, back to back). */
export function exportSlotMessagesPerSecond(
  model: Pick<PipelineModel, 'exportBatchSize' | 'exportInvocationMs' | 'exportMessageMs'>,
): number {
  const ms = model.exportInvocationMs + model.exportMessageMs * model.exportBatchSize;
  return (model.exportBatchSize * 1000) / ms;
}

/** Records a second one decide batch lane (a shard ÷ parallelization factor) handles at most. */
export function decideLaneRecordsPerSecond(
  model: Pick<PipelineModel, 'decideBatchSize' | 'decideInvocationMs' | 'decideRecordMs' | 'getRecordsMs'>,
): number {
  const ms = model.getRecordsMs + model.decideInvocationMs + model.decideRecordMs * model.decideBatchSize;
  return (model.decideBatchSize * 1000) / ms;
}

/** A stage of the pipeline that can bind. */
export type Stage =
  | 'profile-table-writes'
  | 'decide-per-shard'
  | 'export-concurrency'
  | 'kinesis-shards'
  | 'kinesis-on-demand'
  | 'account-concurrency';

/** What a stage carries, in profile writes per second. */
export interface StageCapacity {
  readonly stage: Stage;
  readonly writesPerSecond: number;
  /** One line: the limit and the setting that raises it. */
  readonly detail: string;
}

/**
 * The rate each stage carries, in profile writes per second, for the model's settings:
 * decide per shard (the hottest shard gets at most a partition's 1,000 writes a second), export
 * concurrency, the destination streams, the table's write quota. Lambda's account concurrency is
 * checked separately ({@link concurrencyNeeded}).
 */
export function stageCapacities(model: PipelineModel): StageCapacity[] {
  const { workload } = model;
  const exportsPerWrite = Math.max(1e-9, workload.exportShare * workload.destinations);
  const wru = writeUnitsPerWrite(workload.itemBytes);
  const lane = decideLaneRecordsPerSecond(model);
  const perShard = lane * model.parallelizationFactor;
  const shardLimit = aws('partitionWriteUnits') / wru;
  const slot = exportSlotMessagesPerSecond(model);
  const kinesis = kinesisRecordsPerSecond(model.kinesis, workload.recordBytes);
  return [
    {
      stage: 'profile-table-writes',
      writesPerSecond: aws('tableWriteQuota') / wru,
      detail: `the table's write quota: ${aws('tableWriteQuota').toLocaleString('en-US')} write units/s at ${wru} units per write (raise the per-table quota in Service Quotas)`,
    },
    {
      stage: 'decide-per-shard',
      // A shard never receives more than its partition takes; below that, lanes must keep up.
      writesPerSecond: perShard >= shardLimit ? Number.POSITIVE_INFINITY : perShard * model.streamShards,
      detail: `decide: ${Math.round(perShard)} records/s per shard (parallelizationFactor ${model.parallelizationFactor}) against up to ${Math.round(shardLimit)} writes/s a partition takes (raise parallelizationFactor, max 10)`,
    },
    {
      stage: 'export-concurrency',
      writesPerSecond: (slot * model.exportConcurrency) / exportsPerWrite,
      detail: `export: ${model.exportConcurrency} concurrent invocations × ${Math.round(slot)} messages/s (raise maxConcurrency, max 1,000)`,
    },
    {
      stage: model.kinesis.mode === 'on-demand' ? 'kinesis-on-demand' : 'kinesis-shards',
      writesPerSecond: kinesis / Math.max(1e-9, workload.exportShare),
      detail:
        model.kinesis.mode === 'on-demand'
          ? `Kinesis on-demand: ${(model.kinesis.bytesPerSecond / 1e6).toFixed(0)} MB/s per stream (it doubles its previous peak within 15 minutes; warm it or use more shards)`
          : `Kinesis: ${model.kinesis.shards} shards × 1,000 records/s or 1 MB/s (add shards)`,
    },
  ];
}

/** The stage that binds first at `offeredPerSecond` (the smallest capacity below it), or null. */
export function bindingStage(
  capacities: readonly StageCapacity[],
  offeredPerSecond: number,
): StageCapacity | null {
  let binding: StageCapacity | null = null;
  for (const c of capacities) {
    if (c.writesPerSecond >= offeredPerSecond) continue;
    if (binding === null || c.writesPerSecond < binding.writesPerSecond) binding = c;
  }
  return binding;
}

/** Lambda concurrency the pipeline may use at once: decide lanes plus export invocations. */
export function concurrencyNeeded(
  model: Pick<PipelineModel, 'streamShards' | 'parallelizationFactor' | 'exportConcurrency'>,
): number {
  return model.streamShards * model.parallelizationFactor + model.exportConcurrency;
}
