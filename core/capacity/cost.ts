/**
 * Monthly cost of the pipeline at a sustained rate, from a simulation of that rate (invocations and
 * their durations) and the list prices of `prices.ts`. The profile table itself (the writers' cost) is
 * not included; its stream is free to a Lambda trigger.
 */
import { FUNNEL_COUNTS, METRIC_NAMES } from '../metric-names.js';
import { PIPELINE_SETTINGS } from '../pipeline-settings.js';
import type { PipelineModel } from './parameters.js';
import { AWS_PRICES, HOURS_PER_MONTH } from './prices.js';
import type { SimulationResult } from './simulation.js';

/** One line of the monthly bill. */
export interface MonthlyCostLine {
  readonly item: string;
  readonly usd: number;
}

/** The monthly bill, with both Kinesis modes. */
export interface MonthlyCost {
  readonly lines: readonly MonthlyCostLine[];
  /** Everything but Kinesis. */
  readonly pipelineUsd: number;
  readonly kinesisOnDemandUsd: number;
  readonly kinesisProvisionedUsd: number;
  readonly totalWithOnDemandUsd: number;
  readonly totalWithProvisionedUsd: number;
}

/** The funnel's metric names: its counts and its latency. */
const FUNNEL_METRIC_NAMES = FUNNEL_COUNTS.length + 1;

/** Stated assumptions of the CloudWatch lines (not measured). */
export const CLOUDWATCH_ASSUMPTIONS = {
  /**
   * Log bytes per invocation: Lambda's START/END/REPORT lines (433 B) plus the EMF documents — the
   * pipeline's and one funnel document per destination of the batch (measured with one: export
   * 696 B, decide 867 B; bench/exporter.ts).
   */
  logBytesPerInvocation: 1_300,
  /** Pipeline-wide metric names the functions emit (core/metric-names.ts, all but the funnel's). */
  metricNames: METRIC_NAMES.length - FUNNEL_METRIC_NAMES,
  /** Funnel metric names, each per destination (`destination` dimension). */
  funnelMetricNamesPerDestination: FUNNEL_METRIC_NAMES,
  /** Alarms the construct creates (lib/pipeline-alerts.ts). */
  alarms: 13,
} as const;

const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const GB = 1024 ** 3;

/** What the bill is computed from. */
export interface MonthlyCostInput {
  readonly model: PipelineModel;
  readonly simulation: SimulationResult;
  /** Provisioned shards per destination stream (for the provisioned line). */
  readonly provisionedShards: number;
  /**
   * State-table items written per export: none in steady state — the delivery ledger is written only
   * after a failure, or for live exports while a backfill window is open (core/staleness.ts).
   * @default 0
   */
  readonly ledgerWritesPerExport?: number;
  /** Export-queue message bytes (document + envelope). */
  readonly messageBytes?: number;
}

/** The monthly bill at the simulated rate, sustained around the clock. */
export function monthlyCost(input: MonthlyCostInput): MonthlyCost {
  const { model, simulation } = input;
  const writes = Math.max(1, simulation.writes);
  const perMonth = (perWrite: number) => perWrite * simulation.offeredPerSecond * SECONDS_PER_MONTH;
  const inv = simulation.invocations;
  const exportsPerMonth = perMonth(simulation.exports / writes);
  const messageBytes = input.messageBytes ?? model.workload.recordBytes + 400;
  const gbSeconds = (ms: number, memoryMb: number) => (ms / 1000) * (memoryMb / 1024);
  const lambda = (invocations: number, ms: number, memoryMb: number) =>
    perMonth(invocations / writes) * AWS_PRICES.lambdaRequest.usd +
    perMonth(gbSeconds(ms, memoryMb) / writes) * AWS_PRICES.lambdaArmGbSecond.usd;
  const chunks = Math.ceil((messageBytes * 10) / (64 * 1024));
  const sqsRequests = (exportsPerMonth / 10) * chunks + perMonth(inv.export / writes) * (1 + chunks);
  const ledgerWrites = exportsPerMonth * (input.ledgerWritesPerExport ?? 0);
  // One strongly consistent read (one read unit) of the destination's ledger state per export invocation.
  const ledgerReads = perMonth(inv.export / writes);
  const invocationsPerMonth = perMonth((inv.decide + inv.export) / writes);
  const lines: MonthlyCostLine[] = [
    {
      item: 'decide Lambda (requests + duration)',
      usd: lambda(inv.decide, inv.decideMs, PIPELINE_SETTINGS.decide.memoryMb),
    },
    {
      item: 'export Lambda (requests + duration)',
      usd: lambda(inv.export, inv.exportMs, PIPELINE_SETTINGS.export.memoryMb),
    },
    { item: 'SQS FIFO (sends, receives, deletes)', usd: sqsRequests * AWS_PRICES.sqsFifoRequest.usd },
    {
      item: 'state table: delivery ledger reads (writes only after failures)',
      usd:
        ledgerReads * AWS_PRICES.dynamodbReadRequestUnit.usd +
        ledgerWrites * AWS_PRICES.dynamodbWriteRequestUnit.usd,
    },
    {
      item: 'CloudWatch (logs, metrics, alarms)',
      usd:
        ((invocationsPerMonth * CLOUDWATCH_ASSUMPTIONS.logBytesPerInvocation) / GB) *
          AWS_PRICES.cloudwatchLogsIngestionGb.usd +
        (CLOUDWATCH_ASSUMPTIONS.metricNames +
          CLOUDWATCH_ASSUMPTIONS.funnelMetricNamesPerDestination * model.workload.destinations) *
          AWS_PRICES.cloudwatchMetricMonth.usd +
        CLOUDWATCH_ASSUMPTIONS.alarms * AWS_PRICES.cloudwatchAlarmMonth.usd,
    },
  ];
  const recordKb = Math.ceil(model.workload.recordBytes / 1024);
  const kinesisOnDemandUsd =
    ((exportsPerMonth * recordKb * 1024) / GB) * AWS_PRICES.kinesisOnDemandGbIn.usd +
    model.workload.destinations * HOURS_PER_MONTH * AWS_PRICES.kinesisOnDemandStreamHour.usd;
  const kinesisProvisionedUsd =
    model.workload.destinations *
      input.provisionedShards *
      HOURS_PER_MONTH *
      AWS_PRICES.kinesisShardHour.usd +
    exportsPerMonth *
      Math.ceil(model.workload.recordBytes / (25 * 1024)) *
      AWS_PRICES.kinesisPutPayloadUnit.usd;
  const pipelineUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  return {
    lines,
    pipelineUsd,
    kinesisOnDemandUsd,
    kinesisProvisionedUsd,
    totalWithOnDemandUsd: pipelineUsd + kinesisOnDemandUsd,
    totalWithProvisionedUsd: pipelineUsd + kinesisProvisionedUsd,
  };
}
