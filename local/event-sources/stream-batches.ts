/**
 * Batch decisions of the DynamoDB Streams mapping, with Lambda's rules and no I/O: when a batch is
 * ready, how large it is, which records aged out, what an invocation's outcome means, and how the
 * shard's checkpoint, retry segments and attempts move after it.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { describeError, type InvocationOutcome } from './invoke.js';
import { createdMs, sequenceOf } from './stream-records.js';
import { advanceShard, type ShardState } from './stream-shards.js';

/** The batching settings a shard's batches follow. */
export interface BatchingSettings {
  readonly batchSize: number;
  readonly windowMs: number;
}

/**
 * True when the shard's next batch should be invoked: a retry (which ignores the batching window),
 * a full batch, a shard read to its end, or a first pending record that waited the window.
 */
export function batchReady(shard: ShardState, settings: BatchingSettings, now = Date.now()): boolean {
  if (shard.pending.length === 0) return false;
  if (shard.attempts > 0 || shard.segments.length > 0) return true;
  if (shard.pending.length >= settings.batchSize) return true;
  if (shard.ended) return true;
  return now - (shard.firstPendingAt ?? now) >= settings.windowMs;
}

/**
 * How many of the first pending records are older than `maxRecordAgeMs`; none when it is negative
 * (-1, `UNTIL_RECORD_EXPIRES`: no age limit, as on Lambda).
 */
export function expiredCount(
  pending: readonly DynamoDBRecord[],
  maxRecordAgeMs: number,
  now = Date.now(),
): number {
  if (maxRecordAgeMs < 0) return 0;
  let count = 0;
  while (count < pending.length && now - createdMs(pending[count] as DynamoDBRecord) > maxRecordAgeMs)
    count++;
  return count;
}

/** The size of the next batch: the next retry segment, at most `batchSize` and what is pending. */
export function nextBatchSize(shard: ShardState, batchSize: number): number {
  return Math.min(shard.segments[0] ?? batchSize, batchSize, shard.pending.length);
}

/** Parses a handler response into "all done" or the lowest failed index; undefined = invalid. */
export function checkpointFrom(
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

/** What an invocation's outcome means for its batch. */
export type BatchVerdict =
  | { readonly kind: 'success' }
  /** `ReportBatchItemFailures`: the records before `failedIndex` are done. */
  | { readonly kind: 'partial'; readonly failedIndex: number }
  /** A function error: thrown, rejected, timed out, or a malformed response. */
  | { readonly kind: 'error'; readonly error: string };

/**
 * Judges an invocation. A response that reports failures is read only when the mapping reports
 * batch item failures; a malformed report fails the whole batch, as on Lambda.
 */
export function judgeInvocation(
  outcome: InvocationOutcome<unknown>,
  batch: readonly DynamoDBRecord[],
  reportBatchItemFailures: boolean,
): BatchVerdict {
  if (!outcome.ok) return { kind: 'error', error: describeError(outcome.error) };
  const parsed = reportBatchItemFailures ? checkpointFrom(outcome.response, batch) : { failedIndex: -1 };
  if (parsed === undefined)
    return { kind: 'error', error: 'the response is not a valid batchItemFailures report' };
  return parsed.failedIndex === -1
    ? { kind: 'success' }
    : { kind: 'partial', failedIndex: parsed.failedIndex };
}

/** The batch of `size` succeeded: checkpoint it; a bisected half's sibling is tried next, on its own. */
export function settleSuccess(shard: ShardState, size: number): void {
  advanceShard(shard, size);
  shard.segments.shift();
}

/**
 * The batch partly failed: checkpoint before the lowest failed record and retry from it (the retry
 * uses up a retry). Returns the size of the batch to retry.
 */
export function settlePartial(shard: ShardState, size: number, failedIndex: number): number {
  const attempt = shard.attempts;
  const remaining = size - failedIndex;
  if (failedIndex > 0) {
    advanceShard(shard, failedIndex);
    shard.attempts = attempt;
  }
  shard.segments[0] = remaining;
  shard.lastError = 'partial batch failure';
  return remaining;
}

/**
 * The batch failed. With bisection and more than one record, it is split and the first half tried
 * next — a split does not use up a retry (`'bisected'`). Otherwise the same batch is retried
 * (`'retry'`).
 */
export function settleError(
  shard: ShardState,
  size: number,
  error: string,
  bisect: boolean,
): 'bisected' | 'retry' {
  shard.lastError = error;
  if (bisect && size > 1) {
    const first = Math.ceil(size / 2);
    shard.segments.splice(0, 1, first, size - first);
    shard.attempts -= 1;
    return 'bisected';
  }
  shard.segments[0] = size;
  return 'retry';
}

/**
 * True when the batch head has used its retries (the first attempt is not a retry); never when
 * `retryAttempts` is negative (-1, `UNTIL_RECORD_EXPIRES`: retried until the record expires, as on Lambda).
 */
export function retriesExhausted(shard: ShardState, retryAttempts: number): boolean {
  return retryAttempts >= 0 && shard.attempts > retryAttempts;
}

/** The pause before a retry: the poll interval doubled per attempt, capped. */
export function retryDelayMs(shard: ShardState, pollIntervalMs: number, maxRetryDelayMs: number): number {
  return Math.min(pollIntervalMs * 2 ** (shard.attempts - 1), maxRetryDelayMs);
}
