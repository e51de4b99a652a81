/**
 * A local DynamoDB Streams event source mapping: reads every shard of a table stream and invokes a
 * handler with Lambda's semantics.
 *
 * - One reader per shard; a child shard starts when its parent is done. The reader splits the shard's
 *   records over `parallelizationFactor` lanes by item (`stream-lanes.ts`): up to that many batches
 *   of one shard run at once, and one item's records stay in order.
 * - `GetRecords` about four times a second (`pollIntervalMs`), and at once when a batch ends; a
 *   lane's batch is invoked when it holds `batchSize` records or its first record has waited
 *   `maxBatchingWindowMs`.
 * - Function error (throw, rejection, timeout, malformed response): with `bisectBatchOnError` the
 *   batch is split in two and the first half retried (a split does not use up a retry, as on
 *   Lambda); a batch of one is retried up to `retryAttempts` times (-1: until its records expire,
 *   the pipeline's setting), with backoff.
 * - `ReportBatchItemFailures`: the records before the lowest reported sequence number are
 *   checkpointed and the retry starts at that record (a partial failure uses up a retry). A
 *   reported identifier that is not in the batch fails the whole batch.
 * - Records older than `maxRecordAgeMs`, and batches that ran out of retries, are skipped and
 *   described to the on-failure destination (an SQS queue), in Lambda's `DDBStreamBatchInfo` shape.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { definedOnly } from './defined-only.js';
import { EmulatorJsonClient } from './emulator-json.js';
import { describeError, invokeHandler, type LambdaHandler } from './invoke.js';
import {
  batchReady,
  expiredCount,
  judgeInvocation,
  nextBatchSize,
  retriesExhausted,
  retryDelayMs,
  settleError,
  settlePartial,
  settleSuccess,
} from './stream-batches.js';
import { distribute, newLanes, pendingIn, type StreamLane } from './stream-lanes.js';
import { describeSkippedBatch, type SkipCondition, sequenceOf } from './stream-records.js';
import {
  addNewShards,
  advanceShard,
  listShards,
  readShard,
  rewindShard,
  type ShardState,
  shardsToStart,
} from './stream-shards.js';

export type { SkipCondition, StreamBatchFailureRecord } from './stream-records.js';

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
  /** -1: no limit. @default PIPELINE_SETTINGS.decide.retryAttempts (-1) */
  readonly retryAttempts?: number;
  /** -1: no limit. @default PIPELINE_SETTINGS.decide.maxRecordAgeSeconds × 1000 (-1) */
  readonly maxRecordAgeMs?: number;
  /** @default PIPELINE_SETTINGS.decide.bisectBatchOnError */
  readonly bisectBatchOnError?: boolean;
  /** Concurrent batches per shard (1–10), in order per item. @default PIPELINE_SETTINGS.decide.localParallelizationFactor */
  readonly parallelizationFactor?: number;
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
      readonly condition: SkipCondition;
    }
  | { readonly type: 'error'; readonly shardId?: string; readonly error: string };

/** The options with the settings' defaults filled in. */
type ResolvedOptions = Required<Omit<DynamoDbStreamsPollerOptions, 'onFailure' | 'onEvent'>> &
  Pick<DynamoDbStreamsPollerOptions, 'onFailure' | 'onEvent'>;

function resolveOptions(options: DynamoDbStreamsPollerOptions): ResolvedOptions {
  const defaults = PIPELINE_SETTINGS.decide;
  return {
    functionName: 'decide',
    batchSize: defaults.batchSize,
    maxBatchingWindowMs: defaults.maxBatchingWindowSeconds * 1000,
    pollIntervalMs: defaults.pollIntervalMs,
    retryAttempts: defaults.retryAttempts,
    // -1 stays -1 (no age limit).
    maxRecordAgeMs:
      defaults.maxRecordAgeSeconds < 0 ? defaults.maxRecordAgeSeconds : defaults.maxRecordAgeSeconds * 1000,
    bisectBatchOnError: defaults.bisectBatchOnError,
    parallelizationFactor: defaults.localParallelizationFactor,
    reportBatchItemFailures: true,
    maxRetryDelayMs: 2_000,
    region: 'us-east-1',
    ...definedOnly(options),
    streamsClient: options.streamsClient,
    streamArn: options.streamArn,
    handler: options.handler,
    timeoutMs: options.timeoutMs,
  };
}

/** Runs one DynamoDB Streams event source mapping until stop(). */
export class DynamoDbStreamsPoller {
  private readonly options: ResolvedOptions;
  /** The stream's calls, answered as the wire's JSON (`emulator-json.ts`). */
  private readonly calls: EmulatorJsonClient;
  private readonly shards = new Map<string, ShardState>();
  /** Each shard's lanes (`parallelizationFactor` of them). */
  private readonly lanes = new Map<string, StreamLane[]>();
  /** Wakes a shard's reader early (a batch ended: poll again at once). */
  private readonly wakers = new Map<string, Set<() => void>>();
  private stopped = true;
  private discovery: Promise<void> | undefined;
  private readonly loops = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private invocationsInFlight = 0;

  constructor(options: DynamoDbStreamsPollerOptions) {
    this.options = resolveOptions(options);
    this.calls = EmulatorJsonClient.of(options.streamsClient, 'dynamodb', 'DynamoDBStreams_20120810');
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
    this.calls.destroy();
  }

  /**
   * True when every shard's reader has nothing pending and has completed at least `emptyPolls`
   * empty GetRecords calls since the last record it read (the stream is caught up).
   */
  isCaughtUp(emptyPolls = 2): boolean {
    if (this.invocationsInFlight > 0) return false;
    for (const shard of this.shards.values()) {
      if (shard.done) continue;
      if (shard.pending.length > 0 || pendingIn(this.lanes.get(shard.shardId) ?? []) > 0) return false;
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
        addNewShards(this.shards, await listShards(this.calls, this.options.streamArn));
        for (const shard of shardsToStart(this.shards)) this.startReader(shard);
      } catch (error) {
        this.emit({ type: 'error', error: `DescribeStream: ${describeError(error)}` });
      }
      await this.pause(1_000);
    }
  }

  private startReader(shard: ShardState): void {
    shard.running = true;
    const loop = this.shardLoop(shard).finally(() => {
      shard.running = false;
      this.loops.delete(loop);
    });
    this.loops.add(loop);
  }

  /** Waits `ms`, or less when a batch of the shard ends or the poller stops. */
  private async waitOrWake(shardId: string, ms: number): Promise<void> {
    const wakers = this.wakers.get(shardId) ?? new Set<() => void>();
    this.wakers.set(shardId, wakers);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(shardId: string): void {
    for (const wake of [...(this.wakers.get(shardId) ?? [])]) wake();
  }

  /** Reads a shard into its lanes and starts each lane's next batch while the lane is free. */
  private async shardLoop(shard: ShardState): Promise<void> {
    const { streamArn, region, batchSize, maxBatchingWindowMs } = this.options;
    const lanes = newLanes(shard.shardId, this.options.parallelizationFactor);
    this.lanes.set(shard.shardId, lanes);
    const readContext = { calls: this.calls, streamArn, region, maxPending: batchSize * 10 };
    const running = new Set<Promise<void>>();
    while (!this.stopped && !shard.done) {
      try {
        if (pendingIn(lanes) < readContext.maxPending) {
          await readShard(shard, readContext);
          distribute(shard, lanes);
        }
        if (this.stopped) break;
        for (const lane of lanes) {
          if (lane.running || !batchReady(lane, { batchSize, windowMs: maxBatchingWindowMs })) continue;
          lane.running = true;
          const batch = this.processBatch(lane)
            .catch((error: unknown) =>
              this.emit({ type: 'error', shardId: lane.shardId, error: describeError(error) }),
            )
            .finally(() => {
              lane.running = false;
              running.delete(batch);
              this.wake(shard.shardId);
            });
          running.add(batch);
        }
        if (shard.ended && running.size === 0 && pendingIn(lanes) === 0) {
          shard.done = true;
          break;
        }
      } catch (error) {
        // An emulator restart or an expired iterator: reopen the iterator after the last record read.
        rewindShard(shard);
        this.emit({ type: 'error', shardId: shard.shardId, error: describeError(error) });
      }
      await this.waitOrWake(shard.shardId, this.options.pollIntervalMs);
    }
    await Promise.all([...running]);
  }

  private async processBatch(shard: StreamLane): Promise<void> {
    const { batchSize } = this.options;
    // Records past their maximum age are not sent to the function.
    const tooOld = Math.min(expiredCount(shard.pending, this.options.maxRecordAgeMs), batchSize);
    if (tooOld > 0) {
      await this.discard(shard, shard.pending.slice(0, tooOld), 'RecordAgeExceeded');
      advanceShard(shard, tooOld);
      shard.segments = [];
      return;
    }

    const size = nextBatchSize(shard, batchSize);
    const batch = shard.pending.slice(0, size);
    shard.attempts += 1;
    this.invocationsInFlight += 1;
    const outcome = await invokeHandler(
      this.options.handler,
      { Records: batch },
      {
        functionName: this.options.functionName,
        timeoutMs: this.options.timeoutMs,
        region: this.options.region,
      },
    ).finally(() => {
      this.invocationsInFlight -= 1;
    });
    const verdict = judgeInvocation(outcome, batch, this.options.reportBatchItemFailures);
    const report = {
      type: 'invoke',
      shardId: shard.shardId,
      sequenceNumbers: batch.map(sequenceOf),
    } as const;

    switch (verdict.kind) {
      case 'success':
        this.emit({ ...report, attempt: shard.attempts, outcome: 'success' });
        settleSuccess(shard, size);
        return;
      case 'partial': {
        this.emit({ ...report, attempt: shard.attempts, outcome: 'partial' });
        await this.afterFailure(shard, settlePartial(shard, size, verdict.failedIndex));
        return;
      }
      case 'error':
        this.emit({ ...report, attempt: shard.attempts, outcome: 'error', error: verdict.error });
        if (settleError(shard, size, verdict.error, this.options.bisectBatchOnError) === 'retry')
          await this.afterFailure(shard, size);
        return;
    }
  }

  /** Retries exhausted → discard the batch; otherwise wait before the retry. */
  private async afterFailure(shard: StreamLane, size: number): Promise<void> {
    if (retriesExhausted(shard, this.options.retryAttempts)) {
      await this.discard(shard, shard.pending.slice(0, size), 'RetryAttemptsExhausted');
      advanceShard(shard, size);
      shard.segments.shift();
      return;
    }
    await this.pause(retryDelayMs(shard, this.options.pollIntervalMs, this.options.maxRetryDelayMs));
  }

  /**
   * Skips a batch: reports it, and stores its description in the on-failure destination — retrying
   * until the queue takes it, because the batch is skipped only once its description is stored.
   */
  private async discard(
    shard: StreamLane,
    batch: readonly DynamoDBRecord[],
    condition: SkipCondition,
  ): Promise<void> {
    const description = describeSkippedBatch(batch, {
      shardId: shard.shardId,
      streamArn: this.options.streamArn,
      functionName: this.options.functionName,
      region: this.options.region,
      condition,
      attempts: shard.attempts,
      functionFailed: shard.lastError !== undefined,
    });
    if (description === undefined) return;
    this.emit({ type: 'discard', shardId: shard.shardId, sequenceNumbers: batch.map(sequenceOf), condition });
    const destination = this.options.onFailure;
    if (destination === undefined) return;
    for (;;) {
      try {
        await sendDescription(destination, JSON.stringify(description));
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

async function sendDescription(
  destination: { readonly sqsClient: SQSClient; readonly queueUrl: string },
  body: string,
): Promise<void> {
  await destination.sqsClient.send(
    new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: body }),
  );
}
