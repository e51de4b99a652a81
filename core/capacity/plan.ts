/**
 * `plan`'s answers for a rate: shards, concurrency, modelled latency, monthly cost, backfill time,
 * and a line per limit the rate runs into. Pure: the CLI (`cli/plan.ts`) reads the config and prints.
 */

import { PIPELINE_SETTINGS } from '../pipeline-settings.js';
import { deriveMappingSettings } from '../throughput-settings.js';
import { aws } from './aws-figures.js';
import { type BackfillModel, modelBackfill, type TableReadFacts } from './backfill.js';
import { type MonthlyCost, monthlyCost } from './cost.js';
import { awsModel } from './models.js';
import {
  AWS_ASSUMED_LATENCIES,
  type CodeTimings,
  ENVELOPE_WORKLOAD,
  LATENCY_PROMISE_MS,
  PLANNING_TIMINGS,
} from './parameters.js';
import { type Backlog, simulate } from './simulation.js';
import {
  concurrencyNeeded,
  exportSlotMessagesPerSecond,
  minimumKinesisShards,
  recommendedKinesisShards,
  type Stage,
  stageCapacities,
  writeUnitsPerWrite,
} from './sizing.js';

/** Bytes of a Kinesis partition key (a 36-character profile id). */
export const PARTITION_KEY_BYTES = 36;

/** What `plan` is asked. */
export interface PlanInput {
  /** Profile writes per second. */
  readonly rate: number;
  /** Export document bytes. */
  readonly documentBytes: number;
  readonly destinations: number;
  /** Share of writes that export, per destination. @default 1 (every write exports to every destination) */
  readonly exportShare?: number;
  /** Profiles a backfill scans; 0 = no backfill line. @default 0 */
  readonly profiles?: number;
  /** Segments a deploy newly maps (one scan serves them all). @default 1 */
  readonly segments?: number;
  /** The profile table's read facts. @default a new on-demand table */
  readonly table?: TableReadFacts;
  /** Profile item bytes in the table. @default the bench's realistic profile */
  readonly itemBytes?: number;
  readonly timings?: CodeTimings;
  /** @default 1 */
  readonly seed?: number;
}

/** `plan`'s answer. */
export interface PlanReport {
  readonly ratePerSecond: number;
  readonly documentBytes: number;
  readonly recordBytes: number;
  readonly destinations: number;
  readonly exportShare: number;
  /** Provisioned shards per destination stream, with headroom for uneven hashing. */
  readonly kinesisShards: number;
  /** The least that carries the rate at the per-shard limits. */
  readonly kinesisShardsMinimum: number;
  readonly exportConcurrency: number;
  readonly decideParallelizationFactor: number;
  /** The table's stream shards at this rate (one per partition). */
  readonly streamShards: number;
  /** Lambda concurrency the pipeline may use at once. */
  readonly lambdaConcurrency: number;
  /** Profile writes completed per second in the model (decided, and every export in Kinesis). */
  readonly deliveredPerSecond: number;
  /** Records per second the model's destination streams accepted, of those offered. */
  readonly exportsOfferedPerSecond: number;
  readonly exportsDeliveredPerSecond: number;
  /** The stage that stops the rate in the model; `none` when it is carried. */
  readonly bottleneck: Stage | 'none';
  /** How the waiting exports pile up when the rate is not carried (growth 0, minutes null when it is). */
  readonly backlog: Backlog;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** The cheaper of the two Kinesis modes, plus everything else, per month. */
  readonly monthlyCostUsd: number;
  readonly monthlyCost: MonthlyCost;
  readonly backfill: BackfillModel | null;
  readonly bottlenecks: readonly string[];
  readonly assumptions: readonly string[];
}

/** Answers `plan` for one rate. */
export function planCapacity(input: PlanInput): PlanReport {
  const exportShare = input.exportShare ?? 1;
  const timings = input.timings ?? PLANNING_TIMINGS;
  const recordBytes = input.documentBytes + PARTITION_KEY_BYTES;
  const recordsPerSecond = input.rate * exportShare;
  const itemBytes = input.itemBytes ?? ENVELOPE_WORKLOAD.itemBytes;
  const settings = deriveMappingSettings(
    { peakWritesPerSecond: input.rate, destinations: input.destinations },
    timings,
  );
  const kinesisShards = recommendedKinesisShards(recordsPerSecond, recordBytes);
  const model = awsModel({
    workload: { ...ENVELOPE_WORKLOAD, exportShare, destinations: input.destinations, recordBytes, itemBytes },
    writesPerSecond: input.rate,
    parallelizationFactor: settings.parallelizationFactor,
    maxConcurrency: settings.maxConcurrency,
    kinesis: { mode: 'provisioned', shards: kinesisShards },
    timings,
  });
  const simulation = simulate(model, {
    offeredPerSecond: input.rate,
    durationSeconds: Math.min(30, Math.max(5, 400_000 / Math.max(1, input.rate * input.destinations))),
    seed: input.seed ?? 1,
  });
  const cost = monthlyCost({ model, simulation, provisionedShards: kinesisShards });

  const bottlenecks: string[] = [...settings.warnings];
  const wru = writeUnitsPerWrite(itemBytes);
  if (input.rate * wru > aws('tableWriteQuota')) {
    bottlenecks.push(
      `profile table: ${input.rate} writes/s of ${itemBytes}-byte profiles need ${input.rate * wru} write units/s, above the default per-table quota of ${aws('tableWriteQuota')}: raise it in Service Quotas before the peak`,
    );
  }
  const lambdas = concurrencyNeeded(model);
  if (lambdas > aws('accountConcurrency')) {
    bottlenecks.push(
      `Lambda: up to ${lambdas} concurrent executions (${model.streamShards} stream shards × ${model.parallelizationFactor} + ${model.exportConcurrency} export), above the default account quota of ${aws('accountConcurrency')}: raise it`,
    );
  }
  const bytesPerSecond = recordsPerSecond * recordBytes;
  if (bytesPerSecond > aws('kinesisOnDemandInitialBytesPerSecond')) {
    bottlenecks.push(
      `Kinesis on-demand: ${(bytesPerSecond / 1e6).toFixed(1)} MB/s per stream is above a new on-demand stream's ${aws('kinesisOnDemandInitialBytesPerSecond') / 1e6} MB/s; it takes twice its previous peak, so ramp up or warm it — or provision ${kinesisShards} shards`,
    );
  }
  if (bytesPerSecond > aws('kinesisOnDemandMaxBytesPerSecond')) {
    bottlenecks.push(
      `Kinesis on-demand: ${(bytesPerSecond / 1e6).toFixed(0)} MB/s per stream is above the default on-demand maximum of ${aws('kinesisOnDemandMaxBytesPerSecond') / 1e6} MB/s: ask AWS to raise it, or provision shards`,
    );
  }
  const queueCallsPerSecond = (recordsPerSecond * input.destinations) / 10;
  if (queueCallsPerSecond > aws('sqsFifoHighThroughputTps')) {
    bottlenecks.push(
      `SQS FIFO: ~${Math.round(queueCallsPerSecond)} SendMessageBatch calls/s, above the ${aws('sqsFifoHighThroughputTps')} TPS of high-throughput mode`,
    );
  }
  if (simulation.bottleneck !== 'none') {
    const stage = stageCapacities(model).find((c) => c.stage === simulation.bottleneck);
    const { growthPerSecond, minutesToPromise } = simulation.backlog;
    const deadline =
      minutesToPromise === null
        ? ''
        : `; the backlog grows by ${Math.round(growthPerSecond)} exports/s and the oldest waiting export passes the ${LATENCY_PROMISE_MS / 60_000}-minute promise after ~${Math.round(minutesToPromise)} min at this rate`;
    bottlenecks.push(
      `modelled: ${Math.round(simulation.deliveredPerSecond)} of ${input.rate} writes/s delivered (${Math.round(simulation.exportsDeliveredPerSecond)} of ${Math.round(simulation.exportsOfferedPerSecond)} exports/s), bound by ${stage?.detail ?? simulation.bottleneck}${deadline}`,
    );
  }

  const slot = exportSlotMessagesPerSecond(model);
  const spare = Math.max(slot, slot * model.exportConcurrency - recordsPerSecond * input.destinations);
  const backfill =
    (input.profiles ?? 0) > 0
      ? modelBackfill({
          profiles: input.profiles ?? 0,
          itemBytes,
          segments: input.segments ?? 1,
          destinations: input.destinations,
          memberShare: 1,
          table: input.table ?? { billing: 'PAY_PER_REQUEST' },
          timings,
          memoryMb: PIPELINE_SETTINGS.backfill.memoryMb,
          exportMessagesPerSecond: spare,
        })
      : null;

  return {
    ratePerSecond: input.rate,
    documentBytes: input.documentBytes,
    recordBytes,
    destinations: input.destinations,
    exportShare,
    kinesisShards,
    kinesisShardsMinimum: minimumKinesisShards(recordsPerSecond, recordBytes),
    exportConcurrency: settings.maxConcurrency,
    decideParallelizationFactor: settings.parallelizationFactor,
    streamShards: model.streamShards,
    lambdaConcurrency: lambdas,
    deliveredPerSecond: simulation.deliveredPerSecond,
    exportsOfferedPerSecond: simulation.exportsOfferedPerSecond,
    exportsDeliveredPerSecond: simulation.exportsDeliveredPerSecond,
    bottleneck: simulation.bottleneck,
    backlog: simulation.backlog,
    p50Ms: simulation.p50Ms,
    p95Ms: simulation.p95Ms,
    p99Ms: simulation.p99Ms,
    monthlyCostUsd: Math.min(cost.totalWithOnDemandUsd, cost.totalWithProvisionedUsd),
    monthlyCost: cost,
    backfill,
    bottlenecks,
    assumptions: [
      `every write exports to every destination unless --export-share says otherwise (${exportShare})`,
      `code timings from the bench (decide ${timings.decideInvocationMs} ms + ${timings.decideRecordMs} ms/record, export ${timings.exportInvocationMs} ms + ${timings.exportMessageMs} ms/message)`,
      `AWS latencies assumed, not measured: write ${AWS_ASSUMED_LATENCIES.writeMs} ms, stream ${AWS_ASSUMED_LATENCIES.streamLagMs} ms, GetRecords ${AWS_ASSUMED_LATENCIES.getRecordsMs} ms, queue ${AWS_ASSUMED_LATENCIES.queueLatencyMs} ms, PutRecords ${AWS_ASSUMED_LATENCIES.putRecordsMs} ms`,
      `a profile item of ${itemBytes} bytes; the rate sustained around the clock for the monthly cost`,
    ],
  };
}
