/**
 * The one source of the pipeline's runtime settings.
 *
 * The CDK stack (`lib/`) and the local event-source-mapping runtime (`local/`) both read this
 * module, and `test/infra/settings-drift.test.ts` fails when the synthesized template and these
 * values disagree. Pure data: no CDK or AWS SDK imports, so every layer may import it.
 */
const MIB = 1024 * 1024;

/** FIFO event sources accept at most 10 messages per batch. */
const EXPORT_BATCH_SIZE = 10;

/** Real put attempts of an export: the first and the source page's two retries. */
const EXPORT_ATTEMPTS = 3;

/**
 * The most receives a message can use before its own last attempt while every message ahead of it
 * in its FIFO group uses all its attempts (a long outage), with batches of `batchSize` and `attempts`
 * attempts per export: `(attempts − 1) · batchSize + 1`.
 *
 * Why: a batch holds a group's first `batchSize` messages. A message that fails is returned with the
 * later messages of its group (held back, not attempted: order per profile), so each receive makes
 * one attempt of the group's head. When the head's last attempt fails, the export function moves it to
 * the dead-letter queue and goes on with the group in the same invocation: the next message's first
 * attempt uses the same receive. So every message after the first costs its group `attempts − 1`
 * receives, and the last message of the first batch makes its last attempt on receive
 * `attempts + (batchSize − 1)(attempts − 1) = (attempts − 1) · batchSize + 1` — 21 for 3 attempts and
 * batches of 10. A message that joins a later batch starts counting later, and its head has already
 * made an attempt, so its bound is lower. `test/unit/core/export-machine-bounds.test.ts` checks this
 * bound against the export state machine (core/export-machine.ts) over generated outages.
 */
export function receivesUntilLastAttempt(batchSize: number, attempts: number): number {
  return (attempts - 1) * batchSize + 1;
}

/**
 * Receives on which no attempt of the group is made, allowed on top of
 * {@link receivesUntilLastAttempt}: 5 for Lambda throttling (AWS's advice for an SQS event source: a
 * maxReceiveCount of at least 5, so that throttled receives alone do not dead-letter a message), and
 * 5 for invocations that end at their deadline, time out or crash (each returns its unfinished
 * messages with a receive used and no attempt counted).
 */
const RECEIVES_WITHOUT_ATTEMPT = 5 + 5;

/**
 * A stream mapping's `MaximumRetryAttempts` / `MaximumRecordAgeInSeconds` of -1: Lambda retries a
 * failing batch, whatever its records' age, until they expire from the stream (the CloudFormation
 * and Lambda API value for "infinite"; the local stream poller reads it the same way).
 */
export const UNTIL_RECORD_EXPIRES = -1;

export const PIPELINE_SETTINGS = {
  /** The DynamoDB Streams → decide event source mapping and function. */
  decide: {
    memoryMb: 512,
    timeoutSeconds: 60,
    batchSize: 100,
    /**
     * No batching window: Lambda invokes as soon as a poll (about four a second) finds records, which
     * keeps export latency well under a second; batches still fill up to `batchSize` under load.
     */
    maxBatchingWindowSeconds: 0,
    /**
     * Retries of a failing batch: {@link UNTIL_RECORD_EXPIRES}, Lambda retries it until its records
     * leave the stream (a DynamoDB stream keeps a record 24 hours). Why: a change the decide function
     * never evaluates is lost for good — a later backfill re-exports only current members, so every
     * `realized → exited` of a dropped range would never reach a destination. Poison records do not
     * block the shard: decide reports them as batch item failures only for transient errors and sends
     * the rest to the rejects queue, and `bisectBatchOnError` narrows a failing batch down to the
     * record that fails. So only a transient failure (SQS, KMS throttling, an outage) holds a shard,
     * and `DecideIteratorAge` (5 minutes, lib/alarm-thresholds.ts) pages long before the 24 hours end.
     * (AWS Solutions Constructs default such mappings to 500 retries and 24 hours; EventBridge Pipes
     * to "until the record expires".)
     */
    retryAttempts: UNTIL_RECORD_EXPIRES,
    /** Records are retried whatever their age, until they expire from the stream (see `retryAttempts`). */
    maxRecordAgeSeconds: UNTIL_RECORD_EXPIRES,
    bisectBatchOnError: true,
    /**
     * The least ParallelizationFactor: the construct derives the factor from the config's expected
     * peak (`throughput.peakWritesPerSecond`, core/throughput-settings.ts) and never goes below this.
     */
    parallelizationFactor: 1,
    /**
     * Concurrent batches per shard the local runtime runs (order kept per item), so that the ordering
     * tests run with a factor above 1.
     */
    localParallelizationFactor: 2,
    startingPosition: 'TRIM_HORIZON',
    /** How often the local runtime polls each shard (Lambda polls about four times a second). */
    pollIntervalMs: 250,
  },
  /** The export queue → export event source mapping and function. */
  export: {
    memoryMb: 512,
    timeoutSeconds: 30,
    /** FIFO event sources accept at most 10 messages per batch. */
    batchSize: EXPORT_BATCH_SIZE,
    /**
     * Real put attempts of an export (the first and the source page's two retries): the export
     * function counts them in the export's failure record and moves the export to the dead-letter
     * queue itself, with its failure attached, when its third attempt fails (its first, for a failure
     * retrying cannot mend: core/export-machine.ts). A message held back behind its group's failed
     * message, returned unattempted at the deadline, or throttled by Lambda uses a receive, not an attempt.
     */
    attempts: EXPORT_ATTEMPTS,
    /**
     * The export function's one deadline: Middy's early timeout (`timeoutEarlyInMillis`) fires this
     * long before Lambda's timeout, aborts the call in flight and answers with what is done (what
     * Kinesis accepted included), the rest as batch item failures — never a whole-batch failure, which
     * would have SQS hand out again what was put. Calls stop starting earlier (`putRecords.reserveMs`),
     * so this only needs the time to answer.
     */
    answerEarlyMs: 250,
    /** Lambda does not support a batching window on FIFO queues; 0 is the only valid value. */
    maxBatchingWindowSeconds: 0,
    /**
     * The least ScalingConfig.MaximumConcurrency (2–1000): the construct derives it from the config's
     * expected peak (core/throughput-settings.ts) and never goes below this.
     */
    maxConcurrency: 20,
    /** Concurrent batches the local runtime runs, so that ordering across batches is exercised. */
    localConcurrency: 4,
  },
  /** The FIFO export queue and its dead-letter queue. */
  exportQueue: {
    /**
     * The backstop for messages whose invocations crash or time out (the function dead-letters an
     * export itself after its attempts): receives a held-back message can use in a long outage before
     * its own last attempt, {@link receivesUntilLastAttempt}(10, 3) = 21, plus
     * {@link RECEIVES_WITHOUT_ATTEMPT} = 10 receives that make no attempt: 31. So held-back and
     * throttled receives never dead-letter a message that still has attempts left.
     */
    maxReceiveCount: receivesUntilLastAttempt(EXPORT_BATCH_SIZE, EXPORT_ATTEMPTS) + RECEIVES_WITHOUT_ATTEMPT,
    /** At least 6× the export function's timeout, as AWS recommends for SQS event sources. */
    visibilityTimeoutSeconds: 6 * 30,
    /** The SQS maximum: an export the exporter cannot deliver waits, it never expires unseen. */
    retentionSeconds: 14 * 24 * 60 * 60,
  },
  /** SendMessageBatch limits: 10 entries and 1 MiB of message bodies per call (SQS, since 2025). */
  queueSend: {
    maxBatchEntries: 10,
    maxBatchBytes: MIB,
    maxMessageBytes: MIB,
    /**
     * SendMessageBatch calls the decide function has in flight at once for the export queue: calls
     * that share no message group overlap (a full batch of 100 records is ten calls, one round trip
     * instead of ten); a group's later message still waits for its earlier one.
     */
    exportCallsInFlight: 10,
  },
  deadLetterQueue: { retentionSeconds: 14 * 24 * 60 * 60 },
  rejectsQueue: { retentionSeconds: 14 * 24 * 60 * 60 },
  /** Kinesis PutRecords limits and the exporter's retry policy for failed entries. */
  putRecords: {
    maxRecordsPerCall: 500,
    maxBytesPerCall: 5 * MIB,
    /**
     * 1 MiB of data plus partition key per record: the one definition of the limit. It is the least
     * `MaxRecordSize` a stream can have (1,024–10,240 KiB), so no stream refuses a record within it,
     * and an export above it cannot travel through the export queue (`queueSend.maxMessageBytes`, the
     * envelope included) anyway: a stream that accepts larger records changes nothing
     * (core/stream-rules.ts reads the stream's limit).
     */
    maxRecordBytes: MIB,
    baseBackoffMs: 50,
    maxBackoffMs: 2_000,
    /** Attempts per entry within one invocation (the time budget usually ends retries first). */
    maxAttempts: 10,
    /**
     * Time kept between the last call started and the deadline (`export.answerEarlyMs` before the
     * invocation's end) for recording what the calls came to (ledger, failure records, dead-letter
     * moves): this many milliseconds, or a quarter of the time left at the start of the invocation
     * if that is less.
     */
    reserveMs: 3_000,
  },
  /** Delivery ledger entries outlive the DLQ retention, so a redrive can never go back in time. */
  ledger: { ttlSeconds: 15 * 24 * 60 * 60 },
  backfill: {
    /** The least number of parallel scan segments (the scan is sized to the table above it). */
    totalSegments: 4,
    /**
     * Share of the table's read capacity a backfill may use: of a provisioned table's read capacity,
     * or of an on-demand table's read ceiling (core/capacity/backfill.ts, `backfillReadPace`).
     */
    maxReadCapacityShare: 0.25,
    pageSize: 200,
    /** The backfill function's memory (1,769 MB is one vCPU): sizes its workers. */
    memoryMb: 1024,
  },
  /** What the mappings are sized for when the config does not say (core/throughput-settings.ts). */
  throughput: {
    /**
     * Profile writes per second the pipeline is sized for when the config sets no peak: the rate the
     * floors above carry (factor 1, 20 concurrent exports, two destinations) at the target
     * utilisation, so a config without `throughput` deploys the same mappings as before.
     */
    defaultPeakWritesPerSecond: 200,
    /** Export document bytes assumed by default (the bench's realistic document is 6,055 bytes). */
    defaultDocumentBytes: 6_000,
    /** Share of a stage's capacity the derived settings plan to use; the rest absorbs bursts and skew. */
    targetUtilisation: 0.7,
  },
  logRetentionDays: 30,
  /**
   * Local runtime: Lambda timeouts and SQS visibility timeouts are multiplied by this factor so a
   * stuck or crashed local invocation is retried in seconds instead of minutes.
   */
  localTimeScale: 0.1,
} as const;

export type PipelineSettings = typeof PIPELINE_SETTINGS;
