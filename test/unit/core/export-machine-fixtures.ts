/**
 * Builders of the export state machine's input for its tests: batch messages, ledger views, and a
 * driver that plays one batch the way the export function does (rounds, puts, records, moves).
 */
import {
  type BatchMessage,
  type BatchState,
  type ExportFailure,
  hasNextRound,
  type MachineSettings,
  messagesAt,
  nextRound,
  onMoved,
  onPutResults,
  onRecorded,
  type PutAnswer,
} from '../../../core/export-machine.js';
import { EMPTY_ENTRY, type LedgerEntry } from '../../../core/staleness.js';

/** The settings of the tests: the production attempts (3), a backstop of 31 receives. */
export const SETTINGS: MachineSettings = { attempts: 3, maxReceiveCount: 31 };

/** A batch message of export `e-<id>` in `group`. */
export function batchMessage(
  id: string,
  group = 'g1',
  options: {
    receiveCount?: number;
    problem?: ExportFailure;
    attemptsMade?: number;
    /** false: the body is not an export message. */
    isExport?: boolean;
  } = {},
): BatchMessage {
  const receiveCount = options.receiveCount ?? 1;
  return {
    id,
    group,
    receiveCount,
    ...(options.isExport !== false && {
      export: {
        exportId: `e-${id}`,
        key: `delivered#d#${group}`,
        facts: { exportId: `e-${id}`, profileVersion: 0, receiveCount, backfill: false, sourceTime: 1 },
      },
    }),
    ...(options.problem !== undefined && { problem: options.problem }),
    ...(options.attemptsMade !== undefined && { attemptsMade: options.attemptsMade }),
  };
}

/** A ledger in which nothing is tracked. */
export const emptyLedger = (): LedgerEntry => EMPTY_ENTRY;

/** A retryable failure (a throttled entry, a missing stream). */
export const RETRYABLE: ExportFailure = {
  code: 'ProvisionedThroughputExceededException',
  message: 'Rate exceeded',
  retryable: true,
};

/** A failure retrying cannot mend. */
export const INVALID_RECORD: ExportFailure = {
  code: 'InvalidRecord',
  message: 'partition key too long',
  retryable: false,
};

/** How the driver's world answers. */
export interface World {
  /** Kinesis's answer for a message put in a round. */
  readonly put: (message: BatchMessage) => PutAnswer;
  /** Whether the round's ledger write succeeds. @default true */
  readonly ledgerWritten?: () => boolean;
  /** The attempts a failure record holds after the message's failure is recorded (undefined: not written). */
  readonly record: (message: BatchMessage, attempted: boolean) => number | undefined;
  /** Whether a move to the dead-letter queue succeeds. @default true */
  readonly move?: (message: BatchMessage) => boolean;
  /** Called before each round with the state (properties check order here). */
  readonly beforeRound?: (state: BatchState, round: number) => void;
  /** Stop after this many rounds (a deadline). @default Infinity */
  readonly rounds?: number;
}

/** Plays a batch to its end the way the export function's loop does, without the deadline. */
export function drive(start: BatchState, world: World, entryOf = emptyLedger): BatchState {
  let state = start;
  for (let round = 0; round < (world.rounds ?? Number.POSITIVE_INFINITY) && hasNextRound(state); round++) {
    world.beforeRound?.(state, round);
    const next = nextRound(state, entryOf);
    state = next.state;
    state = onPutResults(state, new Map(next.puts.map((m) => [m.id, world.put(m)])));
    const failing = state.entries.filter((e) => e.status.at === 'failing');
    const attempts = new Map<string, number>();
    for (const e of failing) {
      const count = world.record(e.message, e.status.at === 'failing' && e.status.attempted);
      if (count !== undefined) attempts.set(e.message.id, count);
    }
    state = onRecorded(state, { ledgerWritten: world.ledgerWritten?.() ?? true, attempts });
    state = onMoved(state, new Map(messagesAt(state, 'moving').map((m) => [m.id, world.move?.(m) ?? true])));
  }
  return state;
}
