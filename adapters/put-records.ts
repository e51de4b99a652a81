import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
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
}

/** What {@link putRecordsInChunks} did. */
export interface PutOutcome {
  readonly succeeded: Map<string, { sequenceNumber: string; shardId: string }>;
  readonly failed: Map<string, PutFailure>;
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
   * Milliseconds the caller may still spend (its reserve for reporting already taken off): a call is
   * aborted when it runs out, and no retry starts whose backoff would overrun it.
   */
  readonly remainingMs: () => number;
  /**
   * Milliseconds a call already started may still run (the caller's deadline for answering): a call
   * whose response comes after `remainingMs` ran out but before this is still counted, rather than
   * abandoned when it may have succeeded. @default remainingMs
   */
  readonly callRemainingMs?: () => number;
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

function callErrorOf(error: unknown): { code: string; message: string; retryable: boolean } {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = e.name ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const retryable =
    RETRYABLE_CALL_ERRORS.has(code) ||
    RETRYABLE_CALL_ERRORS.has(e.code ?? '') ||
    (status !== undefined && status >= 500);
  return { code, message: e.message ?? String(error), retryable };
}

/**
 * Puts records with PutRecords: chunks at the service limits (500 records, 5 MiB per call, 1 MiB per
 * record), and on partial failure resends **only the failed entries** — throttled, internal failure,
 * KMS throttling — with exponential backoff and full jitter while the time budget lasts. Never resends
 * an entry that was accepted (no duplicates) and never drops one (each ends in `succeeded` or `failed`).
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
    calls: 0,
    retriedEntries: 0,
    throttledEntries: 0,
    bytesSent: 0,
  };
  const lastError = new Map<string, PutFailure>();

  let pending: PutEntry[] = [];
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (size > limits.maxRecordBytes) {
      outcome.failed.set(entry.key, {
        code: 'RecordTooLarge',
        message: `the record takes ${size} bytes with its partition key; Kinesis accepts at most ${limits.maxRecordBytes}`,
      });
    } else {
      pending.push(entry);
    }
  }

  for (let attempt = 0; pending.length > 0 && attempt < limits.maxAttempts; attempt++) {
    if (attempt > 0) {
      const delay = fullJitterDelay(attempt, limits.baseBackoffMs, limits.maxBackoffMs, options.random);
      if (options.remainingMs() - delay <= 0) break;
      await wait(delay);
      outcome.retriedEntries += pending.length;
    }
    const retry: PutEntry[] = [];
    for (const chunk of chunkEntries(pending, limits)) {
      const budget = options.remainingMs();
      if (budget <= 0) {
        retry.push(...chunk);
        continue;
      }
      outcome.calls++;
      for (const entry of chunk) outcome.bytesSent += entryBytes(entry);
      try {
        const response = await options.client.send(
          new PutRecordsCommand({
            ...options.target,
            Records: chunk.map(
              (e): PutRecordsRequestEntry => ({ Data: e.data, PartitionKey: e.partitionKey }),
            ),
          }),
          // A stalled call must not outlive the invocation: abort it at the caller's deadline.
          {
            abortSignal: AbortSignal.timeout(
              Math.ceil(Math.max(budget, options.callRemainingMs?.() ?? budget)),
            ),
          },
        );
        const results = response.Records ?? [];
        const acceptedNow: string[] = [];
        chunk.forEach((entry, i) => {
          const result = results[i];
          if (result?.SequenceNumber !== undefined && result.ErrorCode === undefined) {
            outcome.succeeded.set(entry.key, {
              sequenceNumber: result.SequenceNumber,
              shardId: result.ShardId ?? '',
            });
            acceptedNow.push(entry.key);
            return;
          }
          const failure = {
            code: result?.ErrorCode ?? 'MissingResult',
            message: result?.ErrorMessage ?? 'no result for this entry',
          };
          if (THROTTLING_CODES.has(failure.code)) outcome.throttledEntries++;
          if (RETRYABLE_ENTRY_CODES.has(failure.code) || result === undefined) {
            lastError.set(entry.key, failure);
            retry.push(entry);
          } else {
            outcome.failed.set(entry.key, failure);
          }
        });
        if (acceptedNow.length > 0) options.onAccepted?.(acceptedNow);
      } catch (error) {
        const failure = callErrorOf(error);
        for (const entry of chunk) {
          if (failure.retryable) {
            lastError.set(entry.key, failure);
            retry.push(entry);
          } else {
            // Missing stream, access denied, invalid request: no point retrying now; the queue retries later.
            outcome.failed.set(entry.key, { code: failure.code, message: failure.message });
          }
        }
      }
    }
    pending = retry;
  }
  for (const entry of pending) {
    outcome.failed.set(
      entry.key,
      lastError.get(entry.key) ?? { code: 'TimeBudgetExhausted', message: 'no time left to retry' },
    );
  }
  return outcome;
}
