/**
 * The inputs of the capacity model: what the pipeline's own code costs (measured by `npm run bench`)
 * and what the platform adds (AWS latencies this repository cannot measure: stated assumptions).
 */

/** Time the pipeline's own code takes, ms (measured on the local stack by `npm run bench`). */
export interface CodeTimings {
  /** decide: fixed part of one invocation (SQS sends included). */
  readonly decideInvocationMs: number;
  /** decide: each record of the batch. */
  readonly decideRecordMs: number;
  /** export: fixed part of one invocation (ledger read and write, one PutRecords call). */
  readonly exportInvocationMs: number;
  /** export: each message of the batch. */
  readonly exportMessageMs: number;
  /** backfill: CPU per scanned profile (decide + build + stringify), µs, one core. */
  readonly backfillItemMicros: number;
}

/**
 * The code timings the CDK settings and `plan` are sized with. Measured by `npm run bench`
 * (`bench/results.json`, `model.measured.timings`: least-squares fits over the invocations of the
 * sustained local steps, 2026-12-01: decide 0.9 ms + 2.7 ms per record, export 5.1 ms + 1.3 ms per
 * message, backfill 128 µs per profile), then rounded up, and for the export function raised by what
 * its three AWS calls per invocation (ledger read, PutRecords, ledger write) add over the emulators'
 * ~1 ms each (an assumption, see `AWS_ASSUMED_LATENCIES`). Update them when the code changes.
 */
export const PLANNING_TIMINGS: CodeTimings = {
  decideInvocationMs: 8,
  decideRecordMs: 3,
  exportInvocationMs: 40,
  exportMessageMs: 7,
  backfillItemMicros: 150,
};

/**
 * The source page's promise: 95 % of exports delivered within 10 minutes of the profile write. The
 * model reports how long an overloaded rate can last before the oldest waiting export is older.
 * `lib/alarm-thresholds.ts` alarms on the same 10 minutes.
 */
export const LATENCY_PROMISE_MS = 10 * 60 * 1000;

/** Latencies of the platform around the code, ms. */
export interface PlatformLatencies {
  /** A profile write (read + conditional put) until the table acknowledges it. */
  readonly writeMs: number;
  /** Acknowledged write → readable in the table's stream. */
  readonly streamLagMs: number;
  /** One GetRecords call on a stream shard. */
  readonly getRecordsMs: number;
  /** SendMessageBatch accepted → receivable by the export mapping. */
  readonly queueLatencyMs: number;
  /** The export mapping's pause between receives while the queue is empty (0: long polling). */
  readonly exportPollIntervalMs: number;
  /** One PutRecords call (a retry round inside an export invocation). */
  readonly putRecordsMs: number;
}

/**
 * AWS latencies the model assumes — none is an AWS figure (AWS publishes none for these calls; see
 * BENCHMARKS.md, "At the page's envelope"). DynamoDB Streams: "near-real time"; Kinesis: put-to-get
 * "typically less than 1 second" (not the put call itself). Chosen on the slow side of what
 * same-Region SDK calls take; BENCHMARKS.md shows the p95 with every one of them doubled.
 */
export const AWS_ASSUMED_LATENCIES: PlatformLatencies = {
  writeMs: 20,
  streamLagMs: 200,
  getRecordsMs: 20,
  queueLatencyMs: 30,
  exportPollIntervalMs: 0,
  putRecordsMs: 30,
};

/** The Kinesis stream of a destination. */
export type KinesisCapacity =
  | { readonly mode: 'provisioned'; readonly shards: number }
  | { readonly mode: 'on-demand'; readonly bytesPerSecond: number; readonly recordsPerSecond: number };

/** The workload the pipeline is offered. */
export interface Workload {
  /** Share of profile writes that export, per destination (the rest decide "no export"). */
  readonly exportShare: number;
  readonly destinations: number;
  /** Distinct profiles written (message groups). */
  readonly profiles: number;
  /** Kinesis record: document + partition key, bytes. */
  readonly recordBytes: number;
  /** The profile item in the table, bytes (write units per write, stream shards). */
  readonly itemBytes: number;
}

/** Everything the simulation runs with. */
export interface PipelineModel extends PlatformLatencies, CodeTimings {
  readonly workload: Workload;
  /** DynamoDB Streams shards (one per table partition). */
  readonly streamShards: number;
  readonly parallelizationFactor: number;
  readonly decideBatchSize: number;
  /** Pause between polls of an idle shard (Lambda: four polls a second). */
  readonly pollIntervalMs: number;
  readonly exportBatchSize: number;
  /** Concurrent export invocations at most (`maxConcurrency`; the local runtime's concurrency). */
  readonly exportConcurrency: number;
  /** Every destination stream's capacity. */
  readonly kinesis: KinesisCapacity;
  /** The export function's retry of throttled entries (PIPELINE_SETTINGS.putRecords). */
  readonly retry: { readonly baseMs: number; readonly maxMs: number; readonly maxAttempts: number };
  /** A message that failed its invocation is received again after this long. */
  readonly visibilityTimeoutMs: number;
}

/** The workload BENCHMARKS.md states for the model's table. */
export const ENVELOPE_WORKLOAD: Workload = {
  // The bench's change mix: a quarter of the writes change only unmapped attributes.
  exportShare: 0.75,
  destinations: 1,
  profiles: 1_000_000,
  // The bench's realistic document (6,055 bytes) and a 36-character profile id.
  recordBytes: 6_100,
  // The bench's realistic stored profile (5,343 bytes of JSON).
  itemBytes: 5_400,
};
