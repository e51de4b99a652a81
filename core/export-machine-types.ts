/**
 * The values of the export state machine (core/export-machine.ts): its input messages, its settings,
 * the state of each message and of the batch, and the outcomes the export function feeds back.
 */
import type { TransitionId } from './export-machine-table.js';
import type { ExportFacts } from './staleness.js';

/** Why a message was not put, or why its put failed. */
export interface ExportFailure {
  /** A stable code: a Kinesis or AWS error name, or this code base's (`InvalidRecord`, …). */
  readonly code: string;
  readonly message: string;
  /**
   * False when trying again cannot help (a record Kinesis refuses, a body that is not an export
   * message): the export is dead-lettered on its first attempt, marked so that a redrive can skip it.
   */
  readonly retryable: boolean;
}

/** One message of the batch, as the machine needs it (the export function builds it from the SQS record). */
export interface BatchMessage {
  /** The SQS message id: `batchItemFailures`' `itemIdentifier`. */
  readonly id: string;
  /** The FIFO message group: destination and profile. */
  readonly group: string;
  /** SQS's ApproximateReceiveCount of this receive. */
  readonly receiveCount: number;
  /** The export it carries; absent when the body is not an export message. */
  readonly export?: {
    readonly exportId: string;
    /** Its delivery ledger key (core/state-records.ts, `deliveredKey`). */
    readonly key: string;
    /** What the staleness rule reads of it. */
    readonly facts: ExportFacts;
  };
  /** Why it cannot be put, when that is known before any call. */
  readonly problem?: ExportFailure;
  /** Real attempts already made in this life of the message (its failure record), when read. */
  readonly attemptsMade?: number;
  /** The failure its failure record holds, when read. */
  readonly lastFailure?: ExportFailure;
}

/** The two numbers the machine's rules read; defaults from the pipeline settings. */
export interface MachineSettings {
  /** Real attempts of an export before it is dead-lettered (3). */
  readonly attempts: number;
  /** The export queue's maxReceiveCount: after a receive with this count, the queue moves the message. */
  readonly maxReceiveCount: number;
}

/** Where a message is, with what the state carries. */
export type MessageStatus =
  | { readonly at: 'queued' | 'putting' | 'accepted' | 'delivered' }
  | { readonly at: 'superseded'; readonly repeat: boolean }
  | { readonly at: 'failing'; readonly failure: ExportFailure; readonly attempted: boolean }
  | {
      readonly at: 'moving' | 'dead-lettered';
      readonly failure: ExportFailure;
      /** Real attempts of this life, when known. */
      readonly attempts: number | undefined;
    }
  | { readonly at: 'failed'; readonly failure: ExportFailure; readonly attempted: boolean };

/** A message and where it is. */
export interface MessageEntry {
  readonly message: BatchMessage;
  readonly status: MessageStatus;
  /** The transition that brought it there; `undefined` while it is still queued from the start. */
  readonly via: TransitionId | undefined;
}

/** The batch: its messages in batch order, and whether it has been answered at the deadline. */
export interface BatchState {
  readonly settings: MachineSettings;
  readonly entries: readonly MessageEntry[];
  /** True once {@link onDeadline} answered: no event changes anything after. */
  readonly closed: boolean;
}

/** What became of a message in a round's `PutRecords` calls. */
export type PutAnswer =
  | { readonly kind: 'accepted'; readonly owesLedgerWrite: boolean }
  /** A real attempt that failed. */
  | { readonly kind: 'failed'; readonly failure: ExportFailure }
  /** Not sent at all: not an attempt. */
  | { readonly kind: 'not-sent'; readonly failure: ExportFailure };

/** What recording a round's outcome came to. */
export interface RecordedOutcome {
  /** Whether the delivery ledger holds what the round's deliveries and failures owe it. */
  readonly ledgerWritten: boolean;
  /** Real attempts of this life per message, read back from its failure record (absent: unknown). */
  readonly attempts: ReadonlyMap<string, number>;
}
