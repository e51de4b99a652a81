/**
 * Benchmark 5 — cost per million exports on AWS (us-east-1 list prices), modelled from measured
 * handler durations, payload sizes and state-table operations per export, beside the same model for a
 * naive design (one SQS message and one `PutRecord` per export, an export function invoked per message).
 * Every request an export causes is a line: Lambda requests and GB-s, SQS sends, receives and deletes
 * (the event source's and the function's own), Kinesis data in, state-table reads and writes, CloudWatch
 * Logs ingestion (platform lines and metrics) and X-Ray traces. Costs that do not grow with exports
 * (stream-hours, custom metrics, alarms, keys, idle polling) are listed apart, in `FIXED_COSTS`.
 * The prices come from `core/capacity/prices.ts`, the one list `plan` reads too.
 */
import { AWS_PRICES as PRICES } from '../core/capacity/prices.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import type { ExporterBenchResult } from './exporter.js';

/** The share of invocations X-Ray's default sampling rule records at volume (the 1/s reservoir aside). */
export const XRAY_DEFAULT_SAMPLING = 0.05;

/**
 * Bytes CloudWatch Logs ingests per invocation for Lambda's own START, END and REPORT lines (with the
 * X-Ray trace line REPORT carries when tracing is on): an estimate from their documented formats
 * (request id, version, durations, memory, trace id), each event counted with CloudWatch's 26 bytes.
 */
export const LAMBDA_PLATFORM_LOG_BYTES = 70 + 55 + 230 + 3 * 26;

/** Costs that do not grow with the number of exports: listed beside the model, not in it. */
export const FIXED_COSTS: readonly string[] = [
  'Kinesis on-demand stream-hour ($0.04 per stream and hour), or provisioned shard-hours',
  'CloudWatch custom metrics (per metric and month), alarms and the dashboard',
  'KMS: the pipeline key (per month); SQS reuses a data key for 5 minutes per principal, so key requests do not grow with messages',
  "the Lambda SQS poller's empty receives while the queue is idle",
  'state-table storage (ledger entries of profiles with a failure, failure records, checkpoints; all expire)',
];

/**
 * The inputs the exporter bench measured: state-table items read and written per export by the real
 * export function's ledger logic, its own deletes, and the metrics documents it prints (plus Lambda's
 * platform lines). Without a measurement every figure is NaN — never guessed.
 */
export function exporterCostInputs(
  exporter: ExporterBenchResult | undefined,
): Pick<
  CostInputs,
  | 'stateReadsPerExport'
  | 'stateWritesPerExport'
  | 'stateItemBytes'
  | 'ownDeleteCallsPerExport'
  | 'exportLogBytesPerInvocation'
  | 'decideLogBytesPerInvocation'
> {
  const h = exporter?.fifoHandler;
  return {
    stateReadsPerExport: h?.stateItemsReadPerExport ?? Number.NaN,
    stateWritesPerExport: h?.stateItemsWrittenPerExport ?? Number.NaN,
    // A destination state, or a ledger entry with a few ids: well under the 1 KB write / 4 KB read unit.
    stateItemBytes: 200,
    ownDeleteCallsPerExport: h?.sqsDeleteCallsPerExport ?? Number.NaN,
    exportLogBytesPerInvocation:
      LAMBDA_PLATFORM_LOG_BYTES + (exporter?.metricsLogBytes.exportInvocation ?? Number.NaN),
    decideLogBytesPerInvocation:
      LAMBDA_PLATFORM_LOG_BYTES + (exporter?.metricsLogBytes.decideInvocation ?? Number.NaN),
  };
}

/** Measured inputs of the model. */
export interface CostInputs {
  /** Median billed duration of one decide invocation of `decideBatchSize` records, ms. */
  readonly decideMsPerBatch: number;
  readonly decideBatchSize: number;
  /** Median billed duration of one export invocation of `exportBatchSize` messages, ms. */
  readonly exportMsPerBatch: number;
  readonly exportBatchSize: number;
  /** Median billed duration of a naive export invocation (one message, one PutRecord), ms. */
  readonly naiveExportMsPerMessage: number;
  /** Median export-queue message body size, bytes. */
  readonly messageBytes: number;
  /** Median Kinesis record size (data + partition key), bytes. */
  readonly recordBytes: number;
  /** State-table items read per export (strongly consistent), measured by the exporter bench. */
  readonly stateReadsPerExport: number;
  /** State-table items written per export, measured by the exporter bench. */
  readonly stateWritesPerExport: number;
  /** Size of one state-table item read or written, bytes. */
  readonly stateItemBytes: number;
  /** The export function's own DeleteMessageBatch calls per export, measured by the exporter bench. */
  readonly ownDeleteCallsPerExport: number;
  /** CloudWatch Logs bytes per export invocation: platform lines and the metrics (EMF) document. */
  readonly exportLogBytesPerInvocation: number;
  /** CloudWatch Logs bytes per decide invocation. */
  readonly decideLogBytesPerInvocation: number;
}

export interface CostLine {
  item: string;
  quantityPerMillion: number;
  usdPerMillion: number;
}

export interface CostModel {
  lines: CostLine[];
  total: number;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** CloudWatch Logs ingestion and X-Ray traces of `invocations` invocations. */
function observabilityLines(name: string, invocations: number, logBytes: number): CostLine[] {
  const gb = (invocations * logBytes) / GB;
  const traces = invocations * XRAY_DEFAULT_SAMPLING;
  return [
    {
      item: `${name} CloudWatch Logs ingestion (${Math.round(logBytes)} B per invocation: platform lines, metrics)`,
      quantityPerMillion: gb,
      usdPerMillion: gb * PRICES.cloudwatchLogsIngestionGb.usd,
    },
    {
      item: `${name} X-Ray traces (default sampling, ${XRAY_DEFAULT_SAMPLING * 100}% of invocations)`,
      quantityPerMillion: traces,
      usdPerMillion: traces * PRICES.xrayTraceRecorded.usd,
    },
  ];
}

function lambdaLines(name: string, invocations: number, msEach: number, memoryMb: number): CostLine[] {
  const gbSeconds = invocations * Math.ceil(msEach) * 0.001 * (memoryMb / 1024);
  return [
    {
      item: `${name} Lambda requests`,
      quantityPerMillion: invocations,
      usdPerMillion: invocations * PRICES.lambdaRequest.usd,
    },
    {
      item: `${name} Lambda duration (${memoryMb} MB, Arm, ${Math.ceil(msEach)} ms each)`,
      quantityPerMillion: gbSeconds,
      usdPerMillion: gbSeconds * PRICES.lambdaArmGbSecond.usd,
    },
  ];
}

function kinesisLines(exports: number, recordBytes: number, mode: 'on-demand' | 'provisioned'): CostLine[] {
  if (mode === 'provisioned') {
    const units = exports * Math.ceil(recordBytes / (25 * 1024));
    // Shards sized to the load: 1,000 records/s or 1 MB/s each, whichever binds; billed for the time it takes.
    const shardSeconds = Math.max(exports / 1000, (exports * recordBytes) / MB);
    return [
      {
        item: 'Kinesis PUT payload units (provisioned)',
        quantityPerMillion: units,
        usdPerMillion: units * PRICES.kinesisPutPayloadUnit.usd,
      },
      {
        item: 'Kinesis shard-hours at full shard use (provisioned)',
        quantityPerMillion: shardSeconds / 3600,
        usdPerMillion: (shardSeconds / 3600) * PRICES.kinesisShardHour.usd,
      },
    ];
  }
  const gb = (exports * Math.ceil(recordBytes / 1024) * 1024) / (1024 * MB);
  return [
    {
      item: 'Kinesis data in (on-demand)',
      quantityPerMillion: gb,
      usdPerMillion: gb * PRICES.kinesisOnDemandGbIn.usd,
    },
  ];
}

/**
 * This project's design: decide batches of 100 → SendMessageBatch of 10 → export batches of 10 →
 * PutRecords, with the delivery ledger read and written as the exporter bench measured it.
 */
export function modelPipeline(
  inputs: CostInputs,
  kinesisMode: 'on-demand' | 'provisioned' = 'on-demand',
): CostModel {
  const n = 1e6;
  const decideInvocations = n / inputs.decideBatchSize;
  const exportInvocations = n / inputs.exportBatchSize;
  const chunksPerBatch = Math.ceil((inputs.messageBytes * 10) / (64 * 1024));
  const sendRequests = (n / 10) * chunksPerBatch;
  // Lambda's poller receives up to 10 messages per ReceiveMessage (billed per 64 KB of the answer)
  // and deletes them with one DeleteMessageBatch.
  const receiveRequests =
    exportInvocations * Math.ceil((inputs.messageBytes * inputs.exportBatchSize) / (64 * 1024));
  const deleteRequests = exportInvocations;
  const ownDeletes = n * inputs.ownDeleteCallsPerExport;
  // Strongly consistent: one read unit per item of up to 4 KB (the ledger reads must see the last write).
  const rru = n * inputs.stateReadsPerExport * Math.ceil(inputs.stateItemBytes / 4096);
  const wru = n * inputs.stateWritesPerExport * Math.ceil(inputs.stateItemBytes / 1024);
  const lines: CostLine[] = [
    ...lambdaLines('decide', decideInvocations, inputs.decideMsPerBatch, PIPELINE_SETTINGS.decide.memoryMb),
    ...observabilityLines('decide', decideInvocations, inputs.decideLogBytesPerInvocation),
    { item: 'DynamoDB Streams reads by the Lambda trigger', quantityPerMillion: n / 100, usdPerMillion: 0 },
    {
      item: `SQS FIFO SendMessageBatch (${chunksPerBatch} × 64 KB chunks per batch of 10)`,
      quantityPerMillion: sendRequests,
      usdPerMillion: sendRequests * PRICES.sqsFifoRequest.usd,
    },
    {
      item: 'SQS FIFO ReceiveMessage + DeleteMessageBatch (Lambda poller)',
      quantityPerMillion: receiveRequests + deleteRequests,
      usdPerMillion: (receiveRequests + deleteRequests) * PRICES.sqsFifoRequest.usd,
    },
    {
      item: "SQS FIFO DeleteMessageBatch by the export function (messages put before a batch's later rounds)",
      quantityPerMillion: ownDeletes,
      usdPerMillion: ownDeletes * PRICES.sqsFifoRequest.usd,
    },
    ...lambdaLines('export', exportInvocations, inputs.exportMsPerBatch, PIPELINE_SETTINGS.export.memoryMb),
    ...observabilityLines('export', exportInvocations, inputs.exportLogBytesPerInvocation),
    ...kinesisLines(n, inputs.recordBytes, kinesisMode),
    {
      item: 'DynamoDB state-table reads (destination state per invocation; ledger entries only where tracked)',
      quantityPerMillion: rru,
      usdPerMillion: rru * PRICES.dynamodbReadRequestUnit.usd,
    },
    {
      item: 'DynamoDB state-table writes (delivery ledger: only where a stale redrive or a repeat is possible)',
      quantityPerMillion: wru,
      usdPerMillion: wru * PRICES.dynamodbWriteRequestUnit.usd,
    },
  ];
  return { lines, total: lines.reduce((sum, line) => sum + line.usdPerMillion, 0) };
}

/** The naive design: the same stream trigger, then one standard-queue message and one PutRecord per export. */
export function modelNaive(
  inputs: CostInputs,
  kinesisMode: 'on-demand' | 'provisioned' = 'on-demand',
): CostModel {
  const n = 1e6;
  const chunks = Math.ceil(inputs.messageBytes / (64 * 1024));
  const lines: CostLine[] = [
    ...lambdaLines(
      'decide',
      n / inputs.decideBatchSize,
      inputs.decideMsPerBatch,
      PIPELINE_SETTINGS.decide.memoryMb,
    ),
    { item: 'DynamoDB Streams reads by the Lambda trigger', quantityPerMillion: n / 100, usdPerMillion: 0 },
    {
      item: 'SQS standard SendMessage + ReceiveMessage + DeleteMessage, one each per export',
      quantityPerMillion: n * (2 * chunks + 1),
      usdPerMillion: n * (2 * chunks + 1) * PRICES.sqsStandardRequest.usd,
    },
    ...observabilityLines('decide', n / inputs.decideBatchSize, inputs.decideLogBytesPerInvocation),
    ...lambdaLines('export', n, inputs.naiveExportMsPerMessage, PIPELINE_SETTINGS.export.memoryMb),
    ...observabilityLines('export', n, inputs.exportLogBytesPerInvocation),
    ...kinesisLines(n, inputs.recordBytes, kinesisMode),
  ];
  return { lines, total: lines.reduce((sum, line) => sum + line.usdPerMillion, 0) };
}
