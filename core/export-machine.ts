/**
 * The export function's decisions about one batch of the FIFO export queue, as a pure state machine:
 * which message of each group goes in the next `PutRecords` round, what a round's answer means, when
 * an export is stale (core/staleness.ts), when it has used its attempts, what happens at the deadline,
 * and what the batch answers SQS. Values in, values out: the export function
 * (`lambdas/export/export-loop.ts`) does the I/O around it — ledger reads and writes, PutRecords,
 * failure records, dead-letter moves, deletes — and feeds each outcome back as an event.
 *
 * Every step names its row of {@link TRANSITIONS} (core/export-machine-table.ts), the table
 * docs/ARCHITECTURE.md shows; a step whose states do not match its row is a bug and throws.
 *
 * The promises it keeps (tested by table and by property, test/unit/core/export-machine*.test.ts):
 * - order per group: a message is taken only when every earlier message of its group is delivered,
 *   superseded or dead-lettered; one message per group per round;
 * - every message ends delivered, superseded, dead-lettered or reported failed, answered once;
 * - an export is dead-lettered after its third real attempt, or its first when retrying cannot help;
 *   a held-back message, one not sent before the deadline, and a Lambda throttle are not attempts.
 */

import { type MessageState, TRANSITIONS, type TransitionId } from './export-machine-table.js';
import type {
  BatchMessage,
  BatchState,
  ExportFailure,
  MachineSettings,
  MessageEntry,
  MessageStatus,
  PutAnswer,
  RecordedOutcome,
} from './export-machine-types.js';
import { PIPELINE_SETTINGS } from './pipeline-settings.js';
import { judgeExport, type LedgerEntry } from './staleness.js';

export type {
  Answer,
  MachineEvent,
  MessageState,
  TransitionId,
  TransitionRow,
} from './export-machine-table.js';
export { answerOf, renderTransitionTable, TRANSITIONS } from './export-machine-table.js';
export type {
  BatchMessage,
  BatchState,
  ExportFailure,
  MachineSettings,
  MessageEntry,
  MessageStatus,
  PutAnswer,
  RecordedOutcome,
} from './export-machine-types.js';

const DEFAULT_SETTINGS: MachineSettings = {
  attempts: PIPELINE_SETTINGS.export.attempts,
  maxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount,
};

/** The failure of a message whose body is not an export message (its parser names the fields). */
const NOT_AN_EXPORT: ExportFailure = {
  code: 'InvalidMessage',
  message: 'not an export message',
  retryable: false,
};

const FINAL = new Set<MessageState>(['delivered', 'superseded', 'dead-lettered', 'failed']);

/** True when nothing will happen to a message in this state any more. */
export function isFinal(state: MessageState): boolean {
  return FINAL.has(state);
}

/** The state of a new batch: every message queued. */
export function startBatch(
  messages: readonly BatchMessage[],
  settings: MachineSettings = DEFAULT_SETTINGS,
): BatchState {
  return {
    settings,
    entries: messages.map((message) => ({ message, status: { at: 'queued' }, via: undefined })),
    closed: false,
  };
}

/** The step `id` for one message; throws when its row does not allow it (a bug, not an input). */
function step(entry: MessageEntry, id: TransitionId, status: MessageStatus): MessageEntry {
  const row = TRANSITIONS[id];
  if (!(row.from as readonly MessageState[]).includes(entry.status.at) || row.to !== status.at) {
    throw new Error(
      `export machine: transition ${id} does not lead from ${entry.status.at} to ${status.at} (message ${entry.message.id})`,
    );
  }
  return { message: entry.message, status, via: id };
}

/** The state with `change` applied to every message it returns an entry for. */
function apply(state: BatchState, change: (entry: MessageEntry) => MessageEntry | undefined): BatchState {
  if (state.closed) return state;
  return { ...state, entries: state.entries.map((entry) => change(entry) ?? entry) };
}

/** The entries of each group, in batch order. */
function byGroup(entries: readonly MessageEntry[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  entries.forEach((entry, i) => {
    const list = groups.get(entry.message.group);
    if (list === undefined) groups.set(entry.message.group, [i]);
    else list.push(i);
  });
  return groups;
}

/**
 * Takes the next message of every group whose earlier messages are all delivered, superseded or
 * dead-lettered: skips the stale ones (`skip`, looking at the next), sends one whose attempts are
 * used up straight to the dead-letter queue (`used-up`), fails one that cannot be put (`cannot-put`),
 * and puts the rest (`put`). `entryOf` is the delivery ledger as loaded (core/staleness.ts).
 * Returns the new state and the messages to put in this round, at most one per group.
 */
export function nextRound(
  state: BatchState,
  entryOf: (key: string) => LedgerEntry,
): { readonly state: BatchState; readonly puts: readonly BatchMessage[] } {
  if (state.closed) return { state, puts: [] };
  const entries = [...state.entries];
  const puts: BatchMessage[] = [];
  for (const indexes of byGroup(entries).values()) {
    for (const i of indexes) {
      const entry = entries[i] as MessageEntry;
      const at = entry.status.at;
      if (at === 'delivered' || at === 'superseded' || at === 'dead-lettered') continue;
      if (at !== 'queued') break;
      const { message } = entry;
      if (message.attemptsMade !== undefined && message.attemptsMade >= state.settings.attempts) {
        const failure: ExportFailure = message.lastFailure ?? {
          code: 'AttemptsUsed',
          message: `${message.attemptsMade} attempts already made; moved to the dead-letter queue without another`,
          retryable: true,
        };
        entries[i] = step(entry, 'used-up', { at: 'moving', failure, attempts: message.attemptsMade });
        break;
      }
      if (message.problem !== undefined || message.export === undefined) {
        const failure = message.problem ?? NOT_AN_EXPORT;
        entries[i] = step(entry, 'cannot-put', { at: 'failing', failure, attempted: true });
        break;
      }
      const judgement = judgeExport(message.export.facts, entryOf(message.export.key));
      if (judgement !== 'put') {
        entries[i] = step(entry, 'skip', { at: 'superseded', repeat: judgement === 'repeat' });
        continue;
      }
      entries[i] = step(entry, 'put', { at: 'putting' });
      puts.push(message);
      break;
    }
  }
  return { state: { ...state, entries }, puts };
}

/**
 * What Kinesis answered for messages being put (a round's answers may come in parts: what a call
 * accepted is known before the retries of the others end). Messages not being put are left as they are.
 */
export function onPutResults(state: BatchState, answers: ReadonlyMap<string, PutAnswer>): BatchState {
  return apply(state, (entry) => {
    const answer = answers.get(entry.message.id);
    if (answer === undefined || entry.status.at !== 'putting') return undefined;
    switch (answer.kind) {
      case 'accepted':
        return answer.owesLedgerWrite
          ? step(entry, 'accepted', { at: 'accepted' })
          : step(entry, 'delivered', { at: 'delivered' });
      case 'failed':
        return step(entry, 'put-failed', { at: 'failing', failure: answer.failure, attempted: true });
      case 'not-sent':
        return step(entry, 'not-sent', { at: 'failing', failure: answer.failure, attempted: false });
    }
  });
}

/** True when SQS moves the message to the dead-letter queue instead of handing it out again. */
export function isLastReceive(message: BatchMessage, settings: MachineSettings): boolean {
  return message.receiveCount >= settings.maxReceiveCount;
}

/**
 * The last-attempt rule: whether a failed message goes to the dead-letter queue now. Yes when this is
 * its last receive (the queue would move it next, without its failure); otherwise only once the
 * delivery ledger noted it as pending (so a later delivery of its profile retires it, and a redrive of
 * it is skipped), and when retrying cannot help or it has made its last attempt.
 */
export function mustDeadLetter(
  message: BatchMessage,
  failure: ExportFailure,
  attempts: number | undefined,
  ledgerNoted: boolean,
  settings: MachineSettings,
): boolean {
  if (isLastReceive(message, settings)) return true;
  if (!ledgerNoted) return false;
  return !failure.retryable || (attempts !== undefined && attempts >= settings.attempts);
}

/**
 * What recording a round came to: the ledger write of the accepted messages (`recorded`, or
 * `unrecorded`: put again later), and for each failing message the last-attempt rule
 * (`dead-letter` or `retry-later`).
 */
export function onRecorded(state: BatchState, outcome: RecordedOutcome): BatchState {
  return apply(state, (entry) => {
    const { status, message } = entry;
    if (status.at === 'accepted') {
      return outcome.ledgerWritten
        ? step(entry, 'recorded', { at: 'delivered' })
        : step(entry, 'unrecorded', {
            at: 'failed',
            failure: {
              code: 'StateTableUnavailable',
              message: 'put, but the delivery ledger could not be written',
              retryable: true,
            },
            attempted: false,
          });
    }
    if (status.at !== 'failing') return undefined;
    const attempts = outcome.attempts.get(message.id);
    const noted = outcome.ledgerWritten || message.export === undefined;
    if (mustDeadLetter(message, status.failure, attempts, noted, state.settings)) {
      return step(entry, 'dead-letter', { at: 'moving', failure: status.failure, attempts });
    }
    return step(entry, 'retry-later', { at: 'failed', failure: status.failure, attempted: status.attempted });
  });
}

/** Which moves to the dead-letter queue succeeded (`moved`) and which did not (`not-moved`). */
export function onMoved(state: BatchState, moved: ReadonlyMap<string, boolean>): BatchState {
  return apply(state, (entry) => {
    const ok = moved.get(entry.message.id);
    const { status } = entry;
    if (ok === undefined || status.at !== 'moving') return undefined;
    return ok
      ? step(entry, 'moved', { at: 'dead-lettered', failure: status.failure, attempts: status.attempts })
      : step(entry, 'not-moved', { at: 'failed', failure: status.failure, attempted: false });
  });
}

/**
 * The delivery ledger could not be read: without it no stale export can be told apart, so nothing is
 * put. Each group's first message fails (not an attempt); the later ones are held back behind it.
 */
export function onLedgerUnavailable(state: BatchState): BatchState {
  const failure: ExportFailure = {
    code: 'StateTableUnavailable',
    message: 'the delivery ledger could not be read',
    retryable: true,
  };
  const firsts = new Set([...byGroup(state.entries).values()].map((indexes) => indexes[0]));
  return {
    ...state,
    entries: state.entries.map((entry, i) => {
      if (state.closed || !firsts.has(i) || entry.status.at !== 'queued') return entry;
      const { problem } = entry.message;
      const own =
        entry.message.export === undefined
          ? (problem ?? NOT_AN_EXPORT)
          : problem !== undefined && !problem.retryable
            ? problem
            : undefined;
      return step(entry, 'ledger-unavailable', { at: 'failing', failure: own ?? failure, attempted: false });
    }),
  };
}

/**
 * Middy's early timeout: every message in flight fails (a put whose ledger write is still owed is put
 * again later), queued ones stay to be answered as held back, and the batch is closed: what happens
 * after — a late answer of a call, a move — changes nothing.
 */
export function onDeadline(state: BatchState): BatchState {
  if (state.closed) return state;
  const failure: ExportFailure = {
    code: 'DeadlineReached',
    message: 'the invocation answered at its deadline before this message was done',
    retryable: true,
  };
  const next = apply(state, (entry) => {
    const { status } = entry;
    if (isFinal(status.at) || status.at === 'queued') return undefined;
    return step(entry, 'deadline', {
      at: 'failed',
      failure: 'failure' in status ? status.failure : failure,
      attempted: status.at === 'failing' ? status.attempted : status.at === 'putting',
    });
  });
  return { ...next, closed: true };
}

/** The messages in a state, in batch order. */
export function messagesAt(state: BatchState, at: MessageState): BatchMessage[] {
  return state.entries.flatMap((e) => (e.status.at === at ? [e.message] : []));
}

/** True when a round could still take a message: some group's next message is queued and its turn has come. */
export function hasNextRound(state: BatchState): boolean {
  if (state.closed) return false;
  for (const indexes of byGroup(state.entries).values()) {
    for (const i of indexes) {
      const at = state.entries[i]?.status.at;
      if (at === 'delivered' || at === 'superseded' || at === 'dead-lettered') continue;
      if (at === 'queued') return true;
      break;
    }
  }
  return false;
}

/**
 * The batch's end: each message still queued is answered as held back (`held`) behind the first
 * failed message of its group (or as not reached, after the deadline). Every message is then final.
 */
export function finish(state: BatchState): BatchState {
  const firstFailed = new Map<string, string>();
  for (const entry of state.entries) {
    if (entry.status.at === 'failed' && !firstFailed.has(entry.message.group))
      firstFailed.set(entry.message.group, entry.message.id);
  }
  return {
    ...state,
    entries: state.entries.map((entry) => {
      if (entry.status.at !== 'queued') return entry;
      const ahead = firstFailed.get(entry.message.group);
      const failure: ExportFailure =
        ahead === undefined
          ? { code: 'NotReached', message: 'not reached before the deadline', retryable: true }
          : {
              code: 'PrecedingExportFailed',
              message: `held back: an earlier export of this profile (message ${ahead}) failed`,
              retryable: true,
            };
      return step(entry, 'held', { at: 'failed', failure, attempted: false });
    }),
  };
}

/** The answer to SQS: every message reported failed, in batch order (the others are deleted). */
export function response(state: BatchState): {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
} {
  return {
    batchItemFailures: finish(state).entries.flatMap((e) =>
      e.status.at === 'failed' ? [{ itemIdentifier: e.message.id }] : [],
    ),
  };
}

/**
 * Messages answered as failed on their last receive: the queue moves them to the dead-letter queue
 * at their next receive, so the delivery ledger must hold them as pending before the batch answers.
 */
export function leftToTheQueue(state: BatchState): BatchMessage[] {
  return finish(state).entries.flatMap((e) =>
    e.status.at === 'failed' && isLastReceive(e.message, state.settings) ? [e.message] : [],
  );
}
