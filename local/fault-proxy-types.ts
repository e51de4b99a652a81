/**
 * The fault proxy's public shapes: the faults it injects, its counters, its options and its handle.
 */

/** Error codes Kinesis reports per `PutRecords` entry. */
export type EntryErrorCode = 'ProvisionedThroughputExceededException' | 'InternalFailure';

/** The fault the proxy injects. */
export type Fault =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'fail-entries';
      /** Share (0–1) of entries that fail. */
      readonly share: number;
      /** @default 'ProvisionedThroughputExceededException' */
      readonly errorCode?: EntryErrorCode | 'mixed';
    }
  | {
      readonly kind: 'http-error';
      /** @default 500 (InternalFailure); 503 answers ServiceUnavailable */
      readonly status?: number;
      /** Share (0–1) of requests answered so. @default 1 */
      readonly share?: number;
    }
  | {
      readonly kind: 'stall';
      readonly ms: number;
      /** `before`: hold the request, then forward it; `after`: forward, then hold the answer. @default 'before' */
      readonly phase?: 'before' | 'after';
      /** @default 1 */
      readonly share?: number;
    }
  | { readonly kind: 'hang' /** @default 1 */; readonly share?: number }
  | { readonly kind: 'drop' /** @default 1 */; readonly share?: number };

/** Counters since start or the last `resetStats`. */
export interface FaultProxyStats {
  /** Requests received, all operations. */
  requests: number;
  /** `PutRecords` requests received. */
  putRecordsCalls: number;
  /** `PutRecords` entries received. */
  entries: number;
  /** Entries the proxy failed (not forwarded). */
  entriesFailed: number;
  /** Entries forwarded and accepted by the emulator. */
  entriesAccepted: number;
  /** Request body bytes of `PutRecords`/`PutRecord` calls received (what a client sends on the wire). */
  putBytes: number;
  /** Requests answered with an injected 5xx. */
  httpErrors: number;
  /** Requests stalled, hung or dropped. */
  stalled: number;
  hung: number;
  dropped: number;
  /** Requests the emulator could not be reached for (answered 502). */
  upstreamErrors: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The emulator's endpoint, e.g. `http://127.0.0.1:4567`. */
  readonly target: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default { kind: 'none' } */
  readonly fault?: Fault;
  /**
   * Kinesis operations (`X-Amz-Target` suffix) the fault applies to.
   * @default - PutRecords and PutRecord
   */
  readonly operations?: readonly string[];
  /** Seed of the generator that picks failing entries and requests. @default 1 */
  readonly seed?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: the Kinesis endpoint to give the functions. */
  readonly url: string;
  readonly port: number;
  /** Switches the fault; applies to requests that arrive from now on. */
  setFault(fault: Fault, operations?: readonly string[]): void;
  readonly fault: Fault;
  stats(): FaultProxyStats;
  resetStats(): void;
  /** Stops listening and destroys open connections (hung requests included). */
  close(): Promise<void>;
}

/** Counters at zero. */
export function emptyStats(): FaultProxyStats {
  return {
    requests: 0,
    putRecordsCalls: 0,
    entries: 0,
    entriesFailed: 0,
    entriesAccepted: 0,
    putBytes: 0,
    httpErrors: 0,
    stalled: 0,
    hung: 0,
    dropped: 0,
    upstreamErrors: 0,
  };
}
