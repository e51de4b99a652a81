/**
 * The export state machine's transitions as data: what can become of a message of an export batch,
 * on which event, under which condition, and what the batch answers SQS for it in the end. The
 * machine (core/export-machine.ts) takes no transition that is not in this table — it names the row
 * of every step it makes and checks the row's states — so this table is the machine's description:
 * docs/ARCHITECTURE.md shows {@link renderTransitionTable}'s output, and a test holds the two equal.
 */

/** Where a message of the batch is. */
export type MessageState =
  /** Not taken yet: waiting for its turn in its FIFO group. */
  | 'queued'
  /** In this round's `PutRecords` calls. */
  | 'putting'
  /** Kinesis accepted it; the delivery ledger write it owes is being made. */
  | 'accepted'
  /** Its put failed, or it could not be put: the failure (and the attempt) is being recorded. */
  | 'failing'
  /** Being moved to the dead-letter queue with its failure attached. */
  | 'moving'
  /** Final: in the stream (and in the ledger, if it owed a write). */
  | 'delivered'
  /** Final: skipped, superseded by a later delivery of its profile or a repeat of a delivered version. */
  | 'superseded'
  /** Final: in the dead-letter queue, moved by the function with its failure attached. */
  | 'dead-lettered'
  /** Final: reported to SQS as a batch item failure; SQS hands it out again. */
  | 'failed';

/** The events of the machine. */
export type MachineEvent =
  | 'round'
  | 'put'
  | 'recorded'
  | 'moved'
  | 'deadline'
  | 'ledger-unavailable'
  | 'response';

/** What SQS hears of a message in the end. */
export type Answer =
  /** Not a final state: the batch is not answered from here. */
  | 'none'
  /** Left out of `batchItemFailures`: the event source deletes it (if the function has not). */
  | 'done'
  /** In `batchItemFailures`: it stays in the queue and comes back, in its group's order. */
  | 'retry';

/** One row of the table. */
export interface TransitionRow {
  readonly event: MachineEvent;
  readonly from: readonly MessageState[];
  readonly to: MessageState;
  /** The condition, in words. */
  readonly when: string;
  /** Whether this step is one of the export's real attempts (counted in its failure record). */
  readonly attempt: boolean;
}

const row = (
  event: MachineEvent,
  from: readonly MessageState[],
  to: MessageState,
  when: string,
  attempt = false,
): TransitionRow => ({ event, from, to, when, attempt });

/** Every transition of the machine, by name. */
export const TRANSITIONS = {
  skip: row(
    'round',
    ['queued'],
    'superseded',
    'its turn in its group (every earlier message of the group delivered, superseded or dead-lettered); the delivery ledger judges it superseded or a repeat (core/staleness.ts). The next message of the group is looked at in the same round',
  ),
  'used-up': row(
    'round',
    ['queued'],
    'moving',
    'its turn; its failure record shows its attempts already used in this life of the message (a move that failed, a crash after the last attempt)',
  ),
  'cannot-put': row(
    'round',
    ['queued'],
    'failing',
    'its turn; it cannot be put: not an export message, a destination not in the config, or a record Kinesis refuses by its documented limits (partition key, 1 MiB)',
    true,
  ),
  put: row('round', ['queued'], 'putting', 'its turn, otherwise: one message per group per round'),
  delivered: row('put', ['putting'], 'delivered', 'Kinesis accepted it and it owes no ledger write'),
  accepted: row(
    'put',
    ['putting'],
    'accepted',
    'Kinesis accepted it; it owes a ledger write (its group is tracked, or a backfill window is open)',
  ),
  'put-failed': row(
    'put',
    ['putting'],
    'failing',
    'its entry failed (after the retries the time allowed), its call failed, or it alone was refused when a call refused as a whole was split',
    true,
  ),
  'not-sent': row(
    'put',
    ['putting'],
    'failing',
    'it was never sent: the time for putting ran out first, or its ledger write-ahead failed',
  ),
  recorded: row('recorded', ['accepted'], 'delivered', 'the ledger write succeeded'),
  unrecorded: row(
    'recorded',
    ['accepted'],
    'failed',
    'the ledger write failed: it is put again later, and recorded then',
  ),
  'dead-letter': row(
    'recorded',
    ['failing'],
    'moving',
    'the last-attempt rule: the ledger noted it and retrying cannot help (non-retryable) or it has used its attempts; or this is its last receive before the queue would move it',
  ),
  'retry-later': row('recorded', ['failing'], 'failed', 'otherwise: its group stops for this batch'),
  moved: row(
    'moved',
    ['moving'],
    'dead-lettered',
    'the dead-letter queue holds it: its group goes on in the same invocation',
  ),
  'not-moved': row(
    'moved',
    ['moving'],
    'failed',
    'the dead-letter queue refused it: it stays (the queue moves it at its last receive)',
  ),
  deadline: row(
    'deadline',
    ['putting', 'accepted', 'failing', 'moving'],
    'failed',
    "Middy's early timeout: the batch is answered now, and nothing changes after",
  ),
  'ledger-unavailable': row(
    'ledger-unavailable',
    ['queued'],
    'failing',
    "the delivery ledger could not be read: nothing is put; each group's first message fails, not as an attempt",
  ),
  held: row(
    'response',
    ['queued'],
    'failed',
    'not taken: held back behind an earlier failed message of its group, or not reached before the deadline (not an attempt)',
  ),
} as const satisfies Record<string, TransitionRow>;

/** The name of a transition. */
export type TransitionId = keyof typeof TRANSITIONS;

/** What SQS hears of a message in a state. */
export function answerOf(state: MessageState): Answer {
  if (state === 'delivered' || state === 'superseded' || state === 'dead-lettered') return 'done';
  if (state === 'failed') return 'retry';
  return 'none';
}

const ANSWER_TEXT: Record<Answer, string> = {
  none: '—',
  done: 'done (deleted)',
  retry: 'batch item failure',
};

/**
 * The table as Markdown, one row per transition: docs/ARCHITECTURE.md holds this text between
 * `<!-- export-machine:begin -->` and `<!-- export-machine:end -->`.
 */
export function renderTransitionTable(): string {
  const lines = [
    '| transition | event | from | to | when | attempt | answer |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [id, t] of Object.entries(TRANSITIONS) as [TransitionId, TransitionRow][]) {
    const from = t.from.map((s) => `\`${s}\``).join(', ');
    lines.push(
      `| \`${id}\` | ${t.event} | ${from} | \`${t.to}\` | ${t.when} | ${t.attempt ? 'yes' : 'no'} | ${ANSWER_TEXT[answerOf(t.to)]} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
