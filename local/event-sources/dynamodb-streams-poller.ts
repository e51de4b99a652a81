/**
 * A local DynamoDB Streams event source mapping: reads every shard of a table stream and invokes a
 * handler with Lambda's semantics.
 *
 * - One reader per shard (parallelization factor 1); a child shard starts when its parent is done.
 * - `GetRecords` about four times a second (`pollIntervalMs`); a batch is invoked when it holds
 *   `batchSize` records or its first record has waited `maxBatchingWindowMs`.
 * - Function error (throw, rejection, timeout, malformed response): with `bisectBatchOnError` the
 *   batch is split in two and the first half retried (a split does not use up a retry, as on
 *   Lambda); a batch of one is retried up to `retryAttempts` times, with backoff.
 * - `ReportBatchItemFailures`: the records before the lowest reported sequence number are
 *   checkpointed and the retry starts at that record (a partial failure uses up a retry). A
 *   reported identifier that is not in the batch fails the whole batch.
 * - Records older than `maxRecordAgeMs`, and batches that ran out of retries, are skipped and
 *   described to the on-failure destination (an SQS queue), in Lambda's `DDBStreamBatchInfo` shape.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent, StreamRecord as LambdaStreamRecord } from 'aws-lambda';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { describeError, type InvocationOutcome, invokeHandler, type LambdaHandler } from './invoke.js';

/** Settings of a DynamoDB Streams mapping; defaults come from `PIPELINE_SETTINGS.decide`. */
export interface DynamoDbStreamsPollerOptions {
  readonly streamsClient: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: LambdaHandler<DynamoDBStreamEvent, unknown>;
  /** @default 'decide' */
  readonly functionName?: string;
  /** Invocation timeout (already scaled). */
  readonly timeoutMs: number;
  /** @default PIPELINE_SETTINGS.decide.batchSize */
  readonly batchSize?: number;
  /** @default PIPELINE_SETTINGS.decide.maxBatchingWindowSeconds × 1000 */
  readonly maxBatchingWindowMs?: number;
  /** @default PIPELINE_SETTINGS.decide.pollIntervalMs */
  readonly pollIntervalMs?: number;
  /** @default PIPELINE_SETTINGS.decide.retryAttempts */
  readonly retryAttempts?: number;
  /** @default PIPELINE_SETTINGS.decide.maxRecordAgeSeconds × 1000 */
  readonly maxRecordAgeMs?: number;
  /** @default PIPELINE_SETTINGS.decide.bisectBatchOnError */
  readonly bisectBatchOnError?: boolean;
  /** @default true (the decide mapping reports batch item failures) */
  readonly reportBatchItemFailures?: boolean;
  /** Longest pause between retries of a failing batch. @default 2_000 */
  readonly maxRetryDelayMs?: number;
  /** The on-failure destination: an SQS queue that receives a description of each skipped batch. */
  readonly onFailure?: { readonly sqsClient: SQSClient; readonly queueUrl: string };
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Called after every invocation and every skipped batch (tests and the demo observe the runtime). */
  readonly onEvent?: (event: StreamsPollerEvent) => void;
}

/** What the poller reports through `onEvent`. */
export type StreamsPollerEvent =
  | {
      readonly type: 'invoke';
      readonly shardId: string;
      readonly sequenceNumbers: readonly string[];
      /** 1 for the first invocation of a batch head, then 2, 3, … */
      readonly attempt: number;
      readonly outcome: 'success' | 'partial' | 'error';
      readonly error?: string;
    }
  | {
      readonly type: 'discard';
      readonly shardId: string;
      readonly sequenceNumbers: readonly string[];
      readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    }
  | { readonly type: 'error'; readonly shardId?: string; readonly error: string };

/** Lambda's on-failure record for a stream batch. */
export interface StreamBatchFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** Last sequence number the handler finished (checkpoint). */
  checkpoint: string | undefined;
  iterator: string | undefined;
  /** Records read but not yet checkpointed, in order. */
  pending: DynamoDBRecord[];
  /** When the first pending record was read (batching window). */
  firstPendingAt: number | undefined;
  /** The shard has no more records (closed and read to its end). */
  ended: boolean;
  done: boolean;
  /**
   * Sizes of the batches still to retry on their own after a bisection or partial failure, next
   * first; empty = take up to batchSize pending records.
   */
  segments: number[];
  /** Invocations of the current batch head (reset when the checkpoint moves). */
  attempts: number;
  lastError: string | undefined;
  /** Completed GetRecords calls that returned nothing, since the last record. */
  emptyPolls: number;
  pollsCompleted: number;
  running: boolean;
}

function compareSequence(a: string, b: string): number {
  // Sequence numbers are decimal strings of arbitrary length.
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

function toLambdaRecord(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const data = record.dynamodb;
  const created = data?.ApproximateCreationDateTime;
  const dynamodb: LambdaStreamRecord = {
    ...(data?.Keys && { Keys: data.Keys as LambdaStreamRecord['Keys'] }),
    ...(data?.NewImage && { NewImage: data.NewImage as LambdaStreamRecord['NewImage'] }),
    ...(data?.OldImage && { OldImage: data.OldImage as LambdaStreamRecord['OldImage'] }),
    ...(data?.SequenceNumber && { SequenceNumber: data.SequenceNumber }),
    ...(data?.SizeBytes !== undefined && { SizeBytes: data.SizeBytes }),
    ...(data?.StreamViewType && { StreamViewType: data.StreamViewType }),
    // Lambda delivers epoch seconds.
    ApproximateCreationDateTime: (created instanceof Date ? created.getTime() : Date.now()) / 1000,
  };
  return {
    ...(record.eventID && { eventID: record.eventID }),
    ...(record.eventName && { eventName: record.eventName }),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    dynamodb,
    eventSourceARN: streamArn,
  };
}

function sequenceOf(record: DynamoDBRecord): string {
  return record.dynamodb?.SequenceNumber ?? '';
}

function createdMs(record: DynamoDBRecord): number {
  return (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000;
}

/** Parses a handler response into "all done" or the lowest failed index; undefined = invalid. */
function checkpointFrom(
  response: unknown,
  batch: readonly DynamoDBRecord[],
): { failedIndex: number } | { failedIndex: -1 } | undefined {
  if (response === undefined || response === null) return { failedIndex: -1 };
  if (typeof response !== 'object') return { failedIndex: -1 };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { failedIndex: -1 };
  if (!Array.isArray(failures)) return undefined;
  if (failures.length === 0) return { failedIndex: -1 };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const index = batch.findIndex((r) => sequenceOf(r) === id);
    if (index < 0) return undefined;
    lowest = Math.min(lowest, index);
  }
  return { failedIndex: lowest };
}

/** Runs one DynamoDB Streams event source mapping until stop(). */
export class DynamoDbStreamsPoller {
  private readonly options: DynamoDbStreamsPollerOptions;
  private readonly shards = new Map<string, ShardState>();
  private stopped = true;
  private discovery: Promise<void> | undefined;
  private readonly loops = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private invocationsInFlight = 0;

  constructor(options: DynamoDbStreamsPollerOptions) {
    this.options = options;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? PIPELINE_SETTINGS.decide.batchSize;
  }
  private get pollIntervalMs(): number {
    return this.options.pollIntervalMs ?? PIPELINE_SETTINGS.decide.pollIntervalMs;
  }
  private get windowMs(): number {
    return this.options.maxBatchingWindowMs ?? PIPELINE_SETTINGS.decide.maxBatchingWindowSeconds * 1000;
  }
  private get retryAttempts(): number {
    return this.options.retryAttempts ?? PIPELINE_SETTINGS.decide.retryAttempts;
  }
  private get maxRecordAgeMs(): number {
    return this.options.maxRecordAgeMs ?? PIPELINE_SETTINGS.decide.maxRecordAgeSeconds * 1000;
  }
  private get bisect(): boolean {
    return this.options.bisectBatchOnError ?? PIPELINE_SETTINGS.decide.bisectBatchOnError;
  }
  private get region(): string {
    return this.options.region ?? 'us-east-1';
  }

  /** Starts discovering shards and polling them. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.discovery = this.discoverLoop();
  }

  /** Stops polling; resolves when no invocation of this poller is running any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.discovery;
    await Promise.all([...this.loops]);
  }

  /**
   * True when every shard's reader has nothing pending and has completed at least `emptyPolls`
   * empty GetRecords calls since the last record it read (the stream is caught up).
   */
  isCaughtUp(emptyPolls = 2): boolean {
    if (this.invocationsInFlight > 0) return false;
    for (const shard of this.shards.values()) {
      if (shard.done) continue;
      if (shard.pending.length > 0) return false;
      if (shard.emptyPolls < emptyPolls && !shard.ended) return false;
    }
    return this.shards.size > 0;
  }

  /** Completed GetRecords calls over all shards (a caller waits for this to move past a write). */
  pollCount(): number {
    let total = 0;
    for (const shard of this.shards.values()) total += shard.pollsCompleted;
    return total;
  }

  private emit(event: StreamsPollerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // An observer's bug must not stop the mapping.
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async discoverLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.discoverShards();
      } catch (error) {
        this.emit({ type: 'error', error: `DescribeStream: ${describeError(error)}` });
      }
      await this.pause(1_000);
    }
  }

  private async discoverShards(): Promise<void> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.options.streamsClient.send(
        new DescribeStreamCommand({
          StreamArn: this.options.streamArn,
          ...(exclusiveStartShardId && { ExclusiveStartShardId: exclusiveStartShardId }),
        }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    for (const shard of shards) {
      if (shard.ShardId === undefined || this.shards.has(shard.ShardId)) continue;
      const state: ShardState = {
        shardId: shard.ShardId,
        parentShardId: shard.ParentShardId,
        checkpoint: undefined,
        iterator: undefined,
        pending: [],
        firstPendingAt: undefined,
        ended: false,
        done: false,
        segments: [],
        attempts: 0,
        lastError: undefined,
        emptyPolls: 0,
        pollsCompleted: 0,
        running: false,
      };
      this.shards.set(shard.ShardId, state);
    }
    for (const state of this.shards.values()) {
      if (state.running || state.done) continue;
      const parent = state.parentShardId === undefined ? undefined : this.shards.get(state.parentShardId);
      // Lambda finishes a parent shard before it reads its children, to keep a key's order.
      if (parent !== undefined && !parent.done) continue;
      state.running = true;
      const loop = this.shardLoop(state).finally(() => {
        state.running = false;
        this.loops.delete(loop);
      });
      this.loops.add(loop);
    }
  }

  private async shardLoop(shard: ShardState): Promise<void> {
    while (!this.stopped && !shard.done) {
      try {
        await this.readShard(shard);
        if (this.stopped) break;
        if (this.batchReady(shard)) {
          await this.processBatch(shard);
          continue;
        }
        if (shard.ended && shard.pending.length === 0) {
          shard.done = true;
          break;
        }
      } catch (error) {
        // An emulator restart or an expired iterator: read again from the checkpoint.
        shard.iterator = undefined;
        shard.pending = [];
        shard.segments = [];
        shard.firstPendingAt = undefined;
        this.emit({ type: 'error', shardId: shard.shardId, error: describeError(error) });
      }
      await this.pause(this.pollIntervalMs);
    }
  }

  private batchReady(shard: ShardState): boolean {
    if (shard.pending.length === 0) return false;
    if (shard.attempts > 0 || shard.segments.length > 0) return true; // retries ignore the window
    if (shard.pending.length >= this.batchSize) return true;
    if (shard.ended) return true;
    return Date.now() - (shard.firstPendingAt ?? Date.now()) >= this.windowMs;
  }

  private async readShard(shard: ShardState): Promise<void> {
    if (shard.ended || shard.pending.length >= this.batchSize * 10) return;
    if (shard.iterator === undefined) {
      const { ShardIterator } = await this.options.streamsClient.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: shard.shardId,
          ...(shard.checkpoint === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.checkpoint }),
        }),
      );
      shard.iterator = ShardIterator;
      if (shard.iterator === undefined) {
        shard.ended = true;
        return;
      }
    }
    const { Records, NextShardIterator } = await this.options.streamsClient.send(
      new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }),
    );
    shard.pollsCompleted += 1;
    shard.iterator = NextShardIterator;
    if (NextShardIterator === undefined) shard.ended = true;
    const records = (Records ?? []).map((r) => toLambdaRecord(r, this.options.streamArn, this.region));
    if (records.length === 0) {
      shard.emptyPolls += 1;
      return;
    }
    shard.emptyPolls = 0;
    if (shard.pending.length === 0) shard.firstPendingAt = Date.now();
    shard.pending.push(...records);
  }

  private advance(shard: ShardState, count: number): void {
    const consumed = shard.pending.splice(0, count);
    const last = consumed[consumed.length - 1];
    if (last !== undefined) shard.checkpoint = sequenceOf(last);
    shard.attempts = 0;
    shard.lastError = undefined;
    shard.firstPendingAt = shard.pending.length > 0 ? Date.now() : undefined;
  }

  private async processBatch(shard: ShardState): Promise<void> {
    // Records past their maximum age are not sent to the function.
    const now = Date.now();
    let tooOld = 0;
    while (
      tooOld < shard.pending.length &&
      now - createdMs(shard.pending[tooOld] as DynamoDBRecord) > this.maxRecordAgeMs
    )
      tooOld++;
    if (tooOld > 0) {
      await this.discard(
        shard,
        shard.pending.slice(0, Math.min(tooOld, this.batchSize)),
        'RecordAgeExceeded',
      );
      this.advance(shard, Math.min(tooOld, this.batchSize));
      shard.segments = [];
      return;
    }

    const size = Math.min(shard.segments[0] ?? this.batchSize, this.batchSize, shard.pending.length);
    const batch = shard.pending.slice(0, size);
    shard.attempts += 1;
    this.invocationsInFlight += 1;
    let outcome: InvocationOutcome<unknown>;
    try {
      outcome = await invokeHandler(
        this.options.handler,
        { Records: batch },
        {
          functionName: this.options.functionName ?? 'decide',
          timeoutMs: this.options.timeoutMs,
          region: this.region,
        },
      );
    } finally {
      this.invocationsInFlight -= 1;
    }
    const sequenceNumbers = batch.map(sequenceOf);
    const reportFailures = this.options.reportBatchItemFailures ?? true;
    const parsed = outcome.ok
      ? reportFailures
        ? checkpointFrom(outcome.response, batch)
        : { failedIndex: -1 }
      : undefined;

    if (parsed !== undefined && parsed.failedIndex === -1) {
      this.emit({
        type: 'invoke',
        shardId: shard.shardId,
        sequenceNumbers,
        attempt: shard.attempts,
        outcome: 'success',
      });
      this.advance(shard, size);
      // A bisected half succeeded: its sibling half is tried next, on its own.
      shard.segments.shift();
      return;
    }

    if (parsed !== undefined) {
      // Partial failure: everything before the lowest failed record is done.
      const attempt = shard.attempts;
      this.emit({ type: 'invoke', shardId: shard.shardId, sequenceNumbers, attempt, outcome: 'partial' });
      const failedIndex = parsed.failedIndex;
      const remaining = size - failedIndex;
      if (failedIndex > 0) {
        this.advance(shard, failedIndex);
        shard.attempts = attempt; // the retry of the remaining records uses up a retry
      }
      shard.segments[0] = remaining;
      shard.lastError = 'partial batch failure';
      await this.afterFailure(shard, remaining);
      return;
    }

    const error = outcome.ok
      ? 'the response is not a valid batchItemFailures report'
      : describeError(outcome.error);
    this.emit({
      type: 'invoke',
      shardId: shard.shardId,
      sequenceNumbers,
      attempt: shard.attempts,
      outcome: 'error',
      error,
    });
    shard.lastError = error;
    if (this.bisect && size > 1) {
      // Split and retry the first half; a split does not use up a retry.
      const first = Math.ceil(size / 2);
      shard.segments.splice(0, 1, first, size - first);
      shard.attempts -= 1;
      return;
    }
    shard.segments[0] = size;
    await this.afterFailure(shard, size);
  }

  /** Retries exhausted → discard the batch; otherwise wait before the retry. */
  private async afterFailure(shard: ShardState, size: number): Promise<void> {
    if (shard.attempts > this.retryAttempts) {
      const batch = shard.pending.slice(0, size);
      await this.discard(shard, batch, 'RetryAttemptsExhausted');
      this.advance(shard, size);
      shard.segments.shift();
      return;
    }
    const delay = Math.min(
      this.pollIntervalMs * 2 ** (shard.attempts - 1),
      this.options.maxRetryDelayMs ?? 2_000,
    );
    await this.pause(delay);
  }

  private async discard(
    shard: ShardState,
    batch: readonly DynamoDBRecord[],
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
  ): Promise<void> {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) return;
    this.emit({ type: 'discard', shardId: shard.shardId, sequenceNumbers: batch.map(sequenceOf), condition });
    const destination = this.options.onFailure;
    if (destination === undefined) return;
    const functionName = this.options.functionName ?? 'decide';
    const description: StreamBatchFailureRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${this.region}:000000000000:function:${functionName}`,
        condition,
        approximateInvokeCount: shard.attempts,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: shard.lastError === undefined ? '' : 'Unhandled',
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.shardId,
        startSequenceNumber: sequenceOf(first),
        endSequenceNumber: sequenceOf(last),
        approximateArrivalOfFirstRecord: new Date(createdMs(first)).toISOString(),
        approximateArrivalOfLastRecord: new Date(createdMs(last)).toISOString(),
        batchSize: batch.length,
        streamArn: this.options.streamArn,
      },
    };
    // The batch is skipped only once its description is stored: retry until the queue takes it.
    for (;;) {
      try {
        await destination.sqsClient.send(
          new SendMessageCommand({
            QueueUrl: destination.queueUrl,
            MessageBody: JSON.stringify(description),
          }),
        );
        return;
      } catch (error) {
        this.emit({
          type: 'error',
          shardId: shard.shardId,
          error: `on-failure destination: ${describeError(error)}`,
        });
        if (this.stopped) return;
        await this.pause(500);
      }
    }
  }
}

export { compareSequence };
