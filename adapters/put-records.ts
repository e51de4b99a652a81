import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { partitionKeyProblem } from '../core/partition-key.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import type { StreamTarget } from './aws-clients.js';
import { sleep as defaultSleep, fullJitterDelay } from './backoff.js';

/** One record to put; `key` identifies it in the outcome. */
export interface PutEntry {
  readonly key: string;
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

/** Why an entry was not put. */
export interface PutFailure {
  readonly code: string;
  readonly message: string;
  /**
   * False when Kinesis can never accept the entry as it is (`InvalidRecord`: a partition key or a
   * record over its documented limits, or an entry a call refused as a whole names): retrying, now or
   * after a redrive, cannot help.
   */
  readonly retryable: boolean;
}

/** What {@link putRecordsInChunks} did. */
export interface PutOutcome {
  readonly succeeded: Map<string, { sequenceNumber: string; shardId: string }>;
  readonly failed: Map<string, PutFailure>;
  /**
   * Failed entries that were never sent (time, or the caller's signal, ran out before a call with them
   * started): not an attempt. A subset of `failed`'s keys.
   */
  readonly notSent: Set<string>;
  /** PutRecords calls made. */
  calls: number;
  /** Entries sent again after a failed attempt. */
  retriedEntries: number;
  /** Entry failures that were throttling (ProvisionedThroughputExceeded, KMS throttling). */
  throttledEntries: number;
  /** Bytes of data and partition keys sent, retries included. */
  bytesSent: number;
}

/** Per-entry error codes worth retrying within the invocation. */
const RETRYABLE_ENTRY_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'InternalFailure',
  'KMSThrottlingException',
]);
const THROTTLING_CODES = new Set(['ProvisionedThroughputExceededException', 'KMSThrottlingException']);
/** Whole-call errors worth retrying within the invocation (the SDK already retried them itself). */
const RETRYABLE_CALL_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'AbortError',
]);

/** The PutRecords limits and retry policy; defaults from the pipeline settings. */
export type PutRecordsLimits = { readonly [K in keyof typeof PIPELINE_SETTINGS.putRecords]: number };

export interface PutRecordsOptions {
  readonly client: KinesisClient;
  readonly target: StreamTarget;
  /**
   * Milliseconds the caller may still spend starting calls (its reserve for recording the outcome
   * already taken off): no call or retry starts whose backoff would overrun it. A call already started
   * runs on until it answers or `signal` aborts it.
   */
  readonly remainingMs: () => number;
  /**
   * The caller's deadline (the function's: Middy's early-timeout signal): aborts the call in flight and
   * starts no other. @default - none: calls run until they answer
   */
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly limits?: Partial<PutRecordsLimits>;
  /**
   * Called after each call with the keys Kinesis accepted in it: the caller can count them as put
   * before the retries of the others end (and answer with them if its time runs out meanwhile).
   */
  readonly onAccepted?: (keys: readonly string[]) => void;
}

function entryBytes(entry: PutEntry): number {
  return entry.data.byteLength + Buffer.byteLength(entry.partitionKey, 'utf8');
}

/**
 * Why Kinesis would refuse the entry by its documented limits (partition key, core/partition-key.ts;
 * 1 MiB of data and key), as a non-retryable `InvalidRecord` failure; `undefined` when it is within them.
 */
export function entryProblem(
  entry: PutEntry,
  maxRecordBytes: number = PIPELINE_SETTINGS.putRecords.maxRecordBytes,
): PutFailure | undefined {
  const key = partitionKeyProblem(entry.partitionKey);
  if (key !== undefined) return { code: 'InvalidRecord', message: key, retryable: false };
  const size = entryBytes(entry);
  if (size <= maxRecordBytes) return undefined;
  return {
    code: 'InvalidRecord',
    message: `the record takes ${size} bytes with its partition key; Kinesis accepts at most ${maxRecordBytes}: map fewer or smaller attributes`,
    retryable: false,
  };
}

/**
 * Splits entries into PutRecords calls of at most 500 records and 5 MiB (data plus partition keys),
 * in the order given.
 */
export function chunkEntries(
  entries: readonly PutEntry[],
  limits: PutRecordsLimits = PIPELINE_SETTINGS.putRecords,
): PutEntry[][] {
  const chunks: PutEntry[][] = [];
  let current: PutEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (
      current.length > 0 &&
      (current.length === limits.maxRecordsPerCall || bytes + size > limits.maxBytesPerCall)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Whole-call errors that refuse the request as invalid (nothing of it was written). */
const VALIDATION_ERRORS = new Set([
  'ValidationException',
  'InvalidArgumentException',
  'SerializationException',
]);

/** A refused call's message names a record (`records.3.member.partitionKey`): an entry is at fault. */
const NAMES_A_RECORD = /\brecords\.\d+\.member\b/i;

interface CallError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** The whole call was refused as invalid because of one of its records. */
  readonly refusedForARecord: boolean;
}

function callErrorOf(error: unknown): CallError {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = e.name ?? e.code ?? 'Error';
  const message = e.message ?? String(error);
  const status = e.$metadata?.httpStatusCode;
  const retryable =
    RETRYABLE_CALL_ERRORS.has(code) ||
    RETRYABLE_CALL_ERRORS.has(e.code ?? '') ||
    (status !== undefined && status >= 500);
  return {
    code,
    message,
    retryable,
    refusedForARecord: VALIDATION_ERRORS.has(code) && NAMES_A_RECORD.test(message),
  };
}

/** What one call (or the halves of a refused one) made of its entries. */
interface CallResult {
  readonly accepted: [PutEntry, { sequenceNumber: string; shardId: string }][];
  /** Entries to send again in the next attempt, with their last error. */
  readonly retry: [PutEntry, PutFailure][];
  readonly failed: [PutEntry, PutFailure][];
  calls: number;
  bytesSent: number;
  throttled: number;
}

/**
 * Sends one call. A call refused as a whole for one of its records (a `ValidationException` naming
 * `records.N`: nothing of it was written) is split in halves and each sent again, down to the entries
 * refused alone, which fail as `InvalidRecord` — so one bad entry never fails the others. Entries of
 * the same call are independent (at most one per ordering key), so splitting keeps every order.
 */
async function sendCall(
  chunk: readonly PutEntry[],
  options: PutRecordsOptions,
  result: CallResult,
): Promise<void> {
  result.calls++;
  for (const entry of chunk) result.bytesSent += entryBytes(entry);
  try {
    const response = await options.client.send(
      new PutRecordsCommand({
        ...options.target,
        Records: chunk.map((e): PutRecordsRequestEntry => ({ Data: e.data, PartitionKey: e.partitionKey })),
      }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
    const records = response.Records ?? [];
    const acceptedNow: string[] = [];
    chunk.forEach((entry, i) => {
      const r = records[i];
      if (r?.SequenceNumber !== undefined && r.ErrorCode === undefined) {
        result.accepted.push([entry, { sequenceNumber: r.SequenceNumber, shardId: r.ShardId ?? '' }]);
        acceptedNow.push(entry.key);
        return;
      }
      const code = r?.ErrorCode ?? 'MissingResult';
      const failure = { code, message: r?.ErrorMessage ?? 'no result for this entry', retryable: true };
      if (THROTTLING_CODES.has(code)) result.throttled++;
      if (RETRYABLE_ENTRY_CODES.has(code) || r === undefined) result.retry.push([entry, failure]);
      else result.failed.push([entry, failure]);
    });
    if (acceptedNow.length > 0) options.onAccepted?.(acceptedNow);
  } catch (error) {
    const failure = callErrorOf(error);
    if (failure.refusedForARecord && chunk.length > 1 && options.signal?.aborted !== true) {
      const half = Math.ceil(chunk.length / 2);
      await sendCall(chunk.slice(0, half), options, result);
      await sendCall(chunk.slice(half), options, result);
      return;
    }
    for (const entry of chunk) {
      if (failure.refusedForARecord) {
        result.failed.push([
          entry,
          {
            code: 'InvalidRecord',
            message: `Kinesis refused the record: ${failure.message}`,
            retryable: false,
          },
        ]);
      } else if (failure.retryable) {
        result.retry.push([entry, { code: failure.code, message: failure.message, retryable: true }]);
      } else {
        // Missing stream, access denied: no point retrying now; the queue retries later.
        result.failed.push([entry, { code: failure.code, message: failure.message, retryable: true }]);
      }
    }
  }
}

/**
 * Puts records with PutRecords: chunks at the service limits (500 records, 5 MiB per call, 1 MiB per
 * record), and on partial failure resends **only the failed entries** — throttled, internal failure,
 * KMS throttling — with exponential backoff and full jitter while the time budget lasts. Never resends
 * an entry that was accepted (no duplicates) and never drops one (each ends in `succeeded` or `failed`).
 * An entry Kinesis can never accept fails alone (`InvalidRecord`, not retryable): found before the call
 * by the documented limits, or by splitting a call refused as a whole for one of its records.
 * Entries are independent: the caller puts at most one entry per ordering key per call.
 */
export async function putRecordsInChunks(
  entries: readonly PutEntry[],
  options: PutRecordsOptions,
): Promise<PutOutcome> {
  const limits: PutRecordsLimits = { ...PIPELINE_SETTINGS.putRecords, ...options.limits };
  const wait = options.sleep ?? defaultSleep;
  const outcome: PutOutcome = {
    succeeded: new Map(),
    failed: new Map(),
    notSent: new Set(),
    calls: 0,
    retriedEntries: 0,
    throttledEntries: 0,
    bytesSent: 0,
  };
  const lastError = new Map<string, PutFailure>();

  let pending: PutEntry[] = [];
  for (const entry of entries) {
    const problem = entryProblem(entry, limits.maxRecordBytes);
    if (problem === undefined) pending.push(entry);
    else outcome.failed.set(entry.key, problem);
  }

  const outOfTime = () => options.remainingMs() <= 0 || options.signal?.aborted === true;
  for (let attempt = 0; pending.length > 0 && attempt < limits.maxAttempts; attempt++) {
    if (attempt > 0) {
      const delay = fullJitterDelay(attempt, limits.baseBackoffMs, limits.maxBackoffMs, options.random);
      if (options.remainingMs() - delay <= 0 || options.signal?.aborted === true) break;
      await wait(delay);
      outcome.retriedEntries += pending.length;
    }
    const retry: PutEntry[] = [];
    for (const chunk of chunkEntries(pending, limits)) {
      if (outOfTime()) {
        retry.push(...chunk);
        continue;
      }
      const result: CallResult = {
        accepted: [],
        retry: [],
        failed: [],
        calls: 0,
        bytesSent: 0,
        throttled: 0,
      };
      await sendCall(chunk, options, result);
      outcome.calls += result.calls;
      outcome.bytesSent += result.bytesSent;
      outcome.throttledEntries += result.throttled;
      for (const [entry, sequence] of result.accepted) outcome.succeeded.set(entry.key, sequence);
      for (const [entry, failure] of result.failed) outcome.failed.set(entry.key, failure);
      for (const [entry, failure] of result.retry) {
        lastError.set(entry.key, failure);
        retry.push(entry);
      }
    }
    pending = retry;
  }
  for (const entry of pending) {
    const last = lastError.get(entry.key);
    if (last === undefined) outcome.notSent.add(entry.key);
    outcome.failed.set(
      entry.key,
      last ?? { code: 'TimeBudgetExhausted', message: 'no time left to send it', retryable: true },
    );
  }
  return outcome;
}
