import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type BatchMessage,
  type BatchState,
  finish,
  isFinal,
  leftToTheQueue,
  mustDeadLetter,
  nextRound,
  onDeadline,
  onLedgerUnavailable,
  onMoved,
  onPutResults,
  onRecorded,
  type PutAnswer,
  renderTransitionTable,
  response,
  startBatch,
  TRANSITIONS,
  type TransitionId,
} from '../../../core/export-machine.js';
import { EMPTY_ENTRY } from '../../../core/staleness.js';
import {
  batchMessage,
  drive,
  emptyLedger,
  INVALID_RECORD,
  RETRYABLE,
  SETTINGS,
} from './export-machine-fixtures.js';

const start = (...messages: BatchMessage[]) => startBatch(messages, SETTINGS);
const put = (state: BatchState) => nextRound(state, emptyLedger).state;
const answer = (state: BatchState, id: string, a: PutAnswer) => onPutResults(state, new Map([[id, a]]));
const failedOnce = (state: BatchState, id: string) =>
  answer(put(state), id, { kind: 'failed', failure: RETRYABLE });
const recorded = (state: BatchState, attempts: Record<string, number>, ledgerWritten = true) =>
  onRecorded(state, { ledgerWritten, attempts: new Map(Object.entries(attempts)) });
const entryOf = (state: BatchState, id: string) => state.entries.find((e) => e.message.id === id);

/**
 * One scenario per transition: the state before the step, the state after it, and the message that
 * took it. Keyed by the transition, so a row added to the table without a scenario fails the test.
 */
const SCENARIOS: Record<TransitionId, () => { before: BatchState; after: BatchState; id: string }> = {
  skip: () => {
    const before = start(batchMessage('m1'), batchMessage('m2'));
    const ledger = () => ({ ...EMPTY_ENTRY, retired: ['e-m1'] });
    return { before, after: nextRound(before, ledger).state, id: 'm1' };
  },
  'used-up': () => {
    const before = start(batchMessage('m1', 'g1', { receiveCount: 4, attemptsMade: 3 }));
    return { before, after: put(before), id: 'm1' };
  },
  'cannot-put': () => {
    const before = start(batchMessage('m1', 'g1', { problem: INVALID_RECORD }));
    return { before, after: put(before), id: 'm1' };
  },
  put: () => {
    const before = start(batchMessage('m1'));
    return { before, after: put(before), id: 'm1' };
  },
  delivered: () => {
    const before = put(start(batchMessage('m1')));
    return { before, after: answer(before, 'm1', { kind: 'accepted', owesLedgerWrite: false }), id: 'm1' };
  },
  accepted: () => {
    const before = put(start(batchMessage('m1')));
    return { before, after: answer(before, 'm1', { kind: 'accepted', owesLedgerWrite: true }), id: 'm1' };
  },
  'put-failed': () => {
    const before = put(start(batchMessage('m1')));
    return { before, after: answer(before, 'm1', { kind: 'failed', failure: RETRYABLE }), id: 'm1' };
  },
  'not-sent': () => {
    const before = put(start(batchMessage('m1')));
    return { before, after: answer(before, 'm1', { kind: 'not-sent', failure: RETRYABLE }), id: 'm1' };
  },
  recorded: () => {
    const before = answer(put(start(batchMessage('m1'))), 'm1', { kind: 'accepted', owesLedgerWrite: true });
    return { before, after: recorded(before, {}), id: 'm1' };
  },
  unrecorded: () => {
    const before = answer(put(start(batchMessage('m1'))), 'm1', { kind: 'accepted', owesLedgerWrite: true });
    return { before, after: recorded(before, {}, false), id: 'm1' };
  },
  'dead-letter': () => {
    const before = failedOnce(start(batchMessage('m1', 'g1', { receiveCount: 3 })), 'm1');
    return { before, after: recorded(before, { m1: 3 }), id: 'm1' };
  },
  'retry-later': () => {
    const before = failedOnce(start(batchMessage('m1')), 'm1');
    return { before, after: recorded(before, { m1: 1 }), id: 'm1' };
  },
  moved: () => {
    const before = recorded(failedOnce(start(batchMessage('m1')), 'm1'), { m1: 3 });
    return { before, after: onMoved(before, new Map([['m1', true]])), id: 'm1' };
  },
  'not-moved': () => {
    const before = recorded(failedOnce(start(batchMessage('m1')), 'm1'), { m1: 3 });
    return { before, after: onMoved(before, new Map([['m1', false]])), id: 'm1' };
  },
  deadline: () => {
    const before = put(start(batchMessage('m1')));
    return { before, after: onDeadline(before), id: 'm1' };
  },
  'ledger-unavailable': () => {
    const before = start(batchMessage('m1'), batchMessage('m2'));
    return { before, after: onLedgerUnavailable(before), id: 'm1' };
  },
  held: () => {
    const before = recorded(failedOnce(start(batchMessage('m1'), batchMessage('m2')), 'm1'), { m1: 1 });
    const finished = response(before);
    expect(finished.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    // response() answers from finish(): the step itself is checked on its state.
    return { before, after: finish(before), id: 'm2' };
  },
};

describe('the export state machine, transition by transition (core/export-machine-table.ts)', () => {
  it('has a scenario for every transition of the table, and no other', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(TRANSITIONS).sort());
  });

  for (const [id, row] of Object.entries(TRANSITIONS) as [
    TransitionId,
    (typeof TRANSITIONS)[TransitionId],
  ][]) {
    it(`${id}: ${row.event} takes a message from ${row.from.join('/')} to ${row.to}`, () => {
      const { before, after, id: messageId } = SCENARIOS[id]();

      const was = entryOf(before, messageId);
      const now = entryOf(after, messageId);
      expect(row.from).toContain(was?.status.at);
      expect(now?.status.at).toBe(row.to);
      expect(now?.via).toBe(id);
    });
  }
});

describe('nextRound()', () => {
  it('takes one message per group per round, in batch order', () => {
    const state = start(batchMessage('a1', 'a'), batchMessage('b1', 'b'), batchMessage('a2', 'a'));

    const { puts } = nextRound(state, emptyLedger);

    expect(puts.map((m) => m.id)).toEqual(['a1', 'b1']);
  });

  it("takes a group's next message once the one before is delivered, never while it is in flight", () => {
    let state = put(start(batchMessage('a1', 'a'), batchMessage('a2', 'a')));
    expect(nextRound(state, emptyLedger).puts).toEqual([]);

    state = answer(state, 'a1', { kind: 'accepted', owesLedgerWrite: false });
    expect(nextRound(state, emptyLedger).puts.map((m) => m.id)).toEqual(['a2']);
  });

  it('skips stale messages and puts the next one of the group in the same round', () => {
    const state = start(batchMessage('a1', 'a'), batchMessage('a2', 'a'), batchMessage('a3', 'a'));
    const ledger = () => ({ ...EMPTY_ENTRY, retired: ['e-a1', 'e-a2'] });

    const next = nextRound(state, ledger);

    expect(next.puts.map((m) => m.id)).toEqual(['a3']);
    expect(next.state.entries.map((e) => e.status.at)).toEqual(['superseded', 'superseded', 'putting']);
  });

  it('goes on with a group after its head is dead-lettered, in the same invocation', () => {
    let state = recorded(failedOnce(start(batchMessage('a1', 'a'), batchMessage('a2', 'a')), 'a1'), {
      a1: 3,
    });
    state = onMoved(state, new Map([['a1', true]]));

    expect(nextRound(state, emptyLedger).puts.map((m) => m.id)).toEqual(['a2']);
  });

  it('takes nothing more of a group once one of its messages failed', () => {
    const state = recorded(failedOnce(start(batchMessage('a1', 'a'), batchMessage('a2', 'a')), 'a1'), {
      a1: 1,
    });

    expect(nextRound(state, emptyLedger).puts).toEqual([]);
    expect(response(state).batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a1', 'a2']);
  });
});

describe('mustDeadLetter() — the last-attempt rule', () => {
  const cases: [string, BatchMessage, typeof RETRYABLE, number | undefined, boolean, boolean][] = [
    ['a retryable failure on its first attempt', batchMessage('m'), RETRYABLE, 1, true, false],
    ['a retryable failure on its second attempt', batchMessage('m'), RETRYABLE, 2, true, false],
    ['a retryable failure on its third attempt', batchMessage('m'), RETRYABLE, 3, true, true],
    ['a non-retryable failure on its first attempt', batchMessage('m'), INVALID_RECORD, 1, true, true],
    ['a third attempt the ledger did not note', batchMessage('m'), RETRYABLE, 3, false, false],
    ['a failure whose attempts are unknown', batchMessage('m'), RETRYABLE, undefined, true, false],
    [
      'any failure on the last receive (the queue would move it next)',
      batchMessage('m', 'g', { receiveCount: 31 }),
      RETRYABLE,
      1,
      false,
      true,
    ],
  ];
  for (const [what, message, failure, attempts, noted, expected] of cases) {
    it(`${expected ? 'dead-letters' : 'keeps'} ${what}`, () => {
      expect(mustDeadLetter(message, failure, attempts, noted, SETTINGS)).toBe(expected);
    });
  }
});

describe('onDeadline()', () => {
  it('fails what is in flight, keeps what is done, and changes nothing afterwards', () => {
    let state = put(start(batchMessage('a1', 'a'), batchMessage('b1', 'b'), batchMessage('b2', 'b')));
    state = answer(state, 'a1', { kind: 'accepted', owesLedgerWrite: false });

    const closed = onDeadline(state);
    const late = answer(closed, 'b1', { kind: 'accepted', owesLedgerWrite: false });

    expect(late).toBe(closed);
    expect(response(late).batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['b1', 'b2']);
    expect(entryOf(closed, 'b1')?.status).toMatchObject({
      at: 'failed',
      failure: { code: 'DeadlineReached' },
    });
  });

  it('answers an accepted put whose ledger write is still owed as failed, so it is put again', () => {
    const state = answer(put(start(batchMessage('a1'))), 'a1', { kind: 'accepted', owesLedgerWrite: true });

    expect(response(onDeadline(state)).batchItemFailures).toEqual([{ itemIdentifier: 'a1' }]);
  });
});

describe('onLedgerUnavailable()', () => {
  it("fails each group's first message, not as an attempt, and holds back the rest", () => {
    const state = onLedgerUnavailable(
      start(batchMessage('a1', 'a'), batchMessage('a2', 'a'), batchMessage('b1', 'b')),
    );

    expect(state.entries.map((e) => e.status.at)).toEqual(['failing', 'queued', 'failing']);
    expect(entryOf(state, 'a1')?.status).toMatchObject({
      attempted: false,
      failure: { code: 'StateTableUnavailable' },
    });
  });

  it('moves a message on its last receive, which the queue would otherwise move without its failure', () => {
    const state = recorded(
      onLedgerUnavailable(start(batchMessage('a1', 'a', { receiveCount: 31 }))),
      {},
      false,
    );

    expect(entryOf(state, 'a1')?.status.at).toBe('moving');
  });
});

describe('leftToTheQueue()', () => {
  it('lists the failed and held-back messages on their last receive: the queue moves them next', () => {
    const state = recorded(
      failedOnce(
        start(batchMessage('a1', 'a', { receiveCount: 5 }), batchMessage('a2', 'a', { receiveCount: 31 })),
        'a1',
      ),
      { a1: 1 },
    );

    expect(leftToTheQueue(state).map((m) => m.id)).toEqual(['a2']);
  });
});

describe('response()', () => {
  it('answers every message once, in batch order, and only the failed ones as failures', () => {
    const state = drive(
      start(
        batchMessage('a1', 'a'),
        batchMessage('b1', 'b'),
        batchMessage('a2', 'a'),
        batchMessage('c1', 'c', { isExport: false }),
      ),
      {
        put: (m) =>
          m.id === 'b1'
            ? { kind: 'failed', failure: RETRYABLE }
            : { kind: 'accepted', owesLedgerWrite: false },
        record: () => 1,
      },
    );

    expect(response(state).batchItemFailures).toEqual([{ itemIdentifier: 'b1' }]);
    expect(state.entries.map((e) => [e.message.id, e.status.at])).toEqual([
      ['a1', 'delivered'],
      ['b1', 'failed'],
      ['a2', 'delivered'],
      ['c1', 'dead-lettered'],
    ]);
    expect(state.entries.every((e) => isFinal(e.status.at))).toBe(true);
  });
});

describe('renderTransitionTable()', () => {
  it('is the export state machine section of docs/ARCHITECTURE.md, word for word', () => {
    const doc = readFileSync(new URL('../../../docs/ARCHITECTURE.md', import.meta.url), 'utf8');
    const begin =
      '<!-- export-machine:begin (generated from core/export-machine-table.ts: renderTransitionTable) -->\n';
    const end = '<!-- export-machine:end -->';
    const section = doc.slice(doc.indexOf(begin) + begin.length, doc.indexOf(end));

    expect(doc.includes(begin), 'the section markers are in docs/ARCHITECTURE.md').toBe(true);
    expect(section).toBe(renderTransitionTable());
  });
});
