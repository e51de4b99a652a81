/**
 * The fault proxy's decisions, pure: which fault applies to a request, which `PutRecords` entries
 * fail, how the emulator's answer for the others is merged back into the original positions, and
 * how many entries an answer accepted. The random generator is passed in (seeded by the proxy), and
 * each function draws from it in the order the proxy always has, so a seed replays the same run.
 */
import type { EntryErrorCode, Fault } from './fault-proxy-types.js';

/** One entry of a `PutRecords` answer. */
export interface KinesisEntryResult {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** What the proxy does with one request. */
export type ProxyAction =
  | { readonly kind: 'forward' }
  /** Fail a share of a `PutRecords` call's entries; forward the others. */
  | { readonly kind: 'fail-entries'; readonly share: number; readonly errorCode: EntryErrorCode | 'mixed' }
  /** Fail a whole `PutRecord` call with an entry error code. */
  | { readonly kind: 'fail-record'; readonly errorCode: EntryErrorCode }
  | { readonly kind: 'http-error'; readonly status: number }
  | { readonly kind: 'stall'; readonly ms: number; readonly phase: 'before' | 'after' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'drop' };

/** The Kinesis operation of a request, from its `X-Amz-Target` header (`Kinesis_20131202.PutRecords`). */
export function operationOf(target: string | string[] | undefined): string {
  return String(target ?? '').split('.')[1] ?? '';
}

/** True for a share of calls: always at share ≥ 1 (without drawing), else with probability `share`. */
function pick(share: number | undefined, random: () => number): boolean {
  const s = share ?? 1;
  return s >= 1 || random() < s;
}

/**
 * What to do with a request for `operation` under `fault`. A fault applies only to the operations
 * it was set for; a request it does not pick is forwarded.
 */
export function chooseAction(
  fault: Fault,
  operation: string,
  operations: ReadonlySet<string>,
  random: () => number,
): ProxyAction {
  if (fault.kind === 'none' || !operations.has(operation)) return { kind: 'forward' };
  switch (fault.kind) {
    case 'fail-entries':
      if (operation === 'PutRecords') {
        return {
          kind: 'fail-entries',
          share: fault.share,
          errorCode: fault.errorCode ?? 'ProvisionedThroughputExceededException',
        };
      }
      if (operation === 'PutRecord' && random() < fault.share) {
        return {
          kind: 'fail-record',
          errorCode:
            fault.errorCode === 'InternalFailure'
              ? 'InternalFailure'
              : 'ProvisionedThroughputExceededException',
        };
      }
      return { kind: 'forward' };
    case 'http-error':
      return pick(fault.share, random)
        ? { kind: 'http-error', status: fault.status ?? 500 }
        : { kind: 'forward' };
    case 'stall':
      return pick(fault.share, random)
        ? { kind: 'stall', ms: fault.ms, phase: fault.phase ?? 'before' }
        : { kind: 'forward' };
    case 'hang':
      return pick(fault.share, random) ? { kind: 'hang' } : { kind: 'forward' };
    case 'drop':
      return pick(fault.share, random) ? { kind: 'drop' } : { kind: 'forward' };
  }
}

/** The error type of an injected 5xx answer. */
export function httpErrorType(status: number): string {
  return status === 503 ? 'ServiceUnavailable' : 'InternalFailure';
}

/** The entries that fail, by position (`null`: forwarded), drawn one entry after the other. */
export function chooseFailedEntries(
  count: number,
  share: number,
  errorCode: EntryErrorCode | 'mixed',
  random: () => number,
): (EntryErrorCode | null)[] {
  return Array.from({ length: count }, () => {
    if (random() >= share) return null;
    if (errorCode !== 'mixed') return errorCode;
    return random() < 0.5 ? 'ProvisionedThroughputExceededException' : 'InternalFailure';
  });
}

/** The answer Kinesis gives for an entry that failed with `code`. */
export function entryError(code: EntryErrorCode): KinesisEntryResult {
  return {
    ErrorCode: code,
    ErrorMessage:
      code === 'ProvisionedThroughputExceededException'
        ? 'Rate exceeded for shard shardId-000000000000 in stream (injected by fault-proxy).'
        : 'Internal service failure (injected by fault-proxy).',
  };
}

/** A `PutRecords` answer rebuilt in the caller's order. */
export interface MergedEntries {
  readonly FailedRecordCount: number;
  readonly Records: KinesisEntryResult[];
  /** Forwarded entries the emulator accepted. */
  readonly accepted: number;
  /** Entries the proxy failed itself. */
  readonly injected: number;
}

/**
 * Puts the emulator's answers for the forwarded entries back into their original positions, among
 * the injected failures — a failed entry is not written, exactly as Kinesis does for a partial
 * failure. A forwarded entry without an answer counts as an `InternalFailure`.
 */
export function mergeEntryResults(
  failed: readonly (EntryErrorCode | null)[],
  forwardedResults: readonly KinesisEntryResult[],
): MergedEntries {
  let next = 0;
  let failedCount = 0;
  let accepted = 0;
  const records = failed.map((errorCode) => {
    if (errorCode !== null) {
      failedCount++;
      return entryError(errorCode);
    }
    const result = forwardedResults[next++] ?? entryError('InternalFailure');
    if (result.ErrorCode !== undefined) failedCount++;
    else accepted++;
    return result;
  });
  return {
    FailedRecordCount: failedCount,
    Records: records,
    accepted,
    injected: failed.filter((c) => c !== null).length,
  };
}

/** The number of entries in a `PutRecords` body; 0 when it cannot be read. */
export function entryCountOf(body: Buffer): number {
  try {
    return ((JSON.parse(body.toString('utf8')) as { Records?: unknown[] }).Records ?? []).length;
  } catch {
    return 0;
  }
}

/** The entries an emulator's answer to a forwarded put accepted (0 for an error answer). */
export function acceptedEntries(operation: string, status: number, body: Buffer, entryCount: number): number {
  if (status !== 200) return 0;
  if (operation === 'PutRecord') return 1;
  if (operation !== 'PutRecords') return 0;
  try {
    const failed =
      (JSON.parse(body.toString('utf8')) as { FailedRecordCount?: number }).FailedRecordCount ?? 0;
    return entryCount - failed;
  } catch {
    // an unreadable answer is the client's problem to report
    return 0;
  }
}
