import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterDelivery,
  BACKFILL_STALE_MARGIN_MS,
  EMPTY_ENTRY,
  type ExportFacts,
  judgeExport,
  type LedgerEntry,
  MAX_RETIRED,
  needsLedger,
  needsWriteAhead,
  withPending,
} from '../../../core/staleness.js';

const facts = (exportId: string, overrides: Partial<ExportFacts> = {}): ExportFacts => ({
  exportId,
  profileVersion: 0,
  receiveCount: 1,
  backfill: false,
  sourceTime: 1_000_000,
  ...overrides,
});
const entry = (overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({ ...EMPTY_ENTRY, ...overrides });

describe('judgeExport()', () => {
  const cases: [string, ExportFacts, LedgerEntry, ReturnType<typeof judgeExport>][] = [
    ['puts an export of an untracked profile', facts('e1'), EMPTY_ENTRY, 'put'],
    ['puts a pending (redriven) export', facts('e1'), entry({ pending: ['e1', 'e2'] }), 'put'],
    [
      'skips an export a later delivery superseded',
      facts('e1'),
      entry({ retired: ['e0', 'e1'] }),
      'superseded',
    ],
    [
      'skips a versioned export older than the version delivered while tracked',
      facts('e1', { profileVersion: 5 }),
      entry({ version: 9 }),
      'superseded',
    ],
    [
      'skips the delivered version handed out again',
      facts('e1', { profileVersion: 9, receiveCount: 2 }),
      entry({ version: 9 }),
      'repeat',
    ],
    [
      'puts a backfill export of the delivered version (it carries newly mapped segments)',
      facts('b1', { profileVersion: 9, backfill: true }),
      entry({ version: 9 }),
      'put',
    ],
    [
      'puts a pending export of the recorded version (its put has not succeeded yet)',
      facts('e1', { profileVersion: 9 }),
      entry({ version: 9, pending: ['e1'] }),
      'put',
    ],
    [
      'puts a newer version',
      facts('e2', { profileVersion: 10 }),
      entry({ version: 9, retired: ['e0'] }),
      'put',
    ],
    [
      'skips a backfill export scanned before a live change delivered in its window (no versions)',
      facts('b1', { backfill: true, sourceTime: 10_000 }),
      entry({ liveAt: 12_000 }),
      'superseded',
    ],
    [
      'skips a backfill export scanned within the margin after a live change (no versions)',
      facts('b1', { backfill: true, sourceTime: 10_000 }),
      entry({ liveAt: 10_000 - BACKFILL_STALE_MARGIN_MS }),
      'superseded',
    ],
    [
      'puts a backfill export scanned well after the last live change (no versions)',
      facts('b1', { backfill: true, sourceTime: 10_000 }),
      entry({ liveAt: 10_000 - BACKFILL_STALE_MARGIN_MS - 1 }),
      'put',
    ],
    [
      'judges a versioned backfill export by its version, not by time',
      facts('b1', { backfill: true, profileVersion: 9, sourceTime: 10_000 }),
      entry({ liveAt: 12_000, version: 9 }),
      'put',
    ],
    [
      'puts a live export whatever the backfill window recorded',
      facts('e2', { sourceTime: 10_000 }),
      entry({ liveAt: 12_000 }),
      'put',
    ],
    [
      'puts an unversioned export whatever version was recorded',
      facts('e2'),
      entry({ version: 9, retired: ['e0'] }),
      'put',
    ],
  ];
  for (const [rule, given, ledger, expected] of cases) {
    it(rule, () => expect(judgeExport(given, ledger)).toBe(expected));
  }
});

describe('needsWriteAhead()', () => {
  const cases: [string, ExportFacts, LedgerEntry, boolean][] = [
    ['not for a first delivery of an untracked profile', facts('e1'), EMPTY_ENTRY, false],
    [
      'for a retry, whose last attempt may have left no trace',
      facts('e1', { receiveCount: 2 }),
      EMPTY_ENTRY,
      true,
    ],
    ['for any export of a profile with pending exports', facts('e3'), entry({ pending: ['e1'] }), true],
    [
      'not for an export already pending',
      facts('e1', { receiveCount: 3 }),
      entry({ pending: ['e1'] }),
      false,
    ],
    ['not because of superseded exports alone', facts('e3'), entry({ retired: ['e1'] }), false],
  ];
  for (const [rule, given, ledger, expected] of cases) {
    it(rule, () => expect(needsWriteAhead(given, ledger)).toBe(expected));
  }
});

describe('afterDelivery()', () => {
  const cases: [string, ExportFacts, LedgerEntry, LedgerEntry][] = [
    [
      'a first put supersedes every pending export',
      facts('e9'),
      entry({ pending: ['e1', 'e2'], retired: ['e0'] }),
      entry({ pending: [], retired: ['e0', 'e1', 'e2'] }),
    ],
    [
      'a redriven export supersedes the ones pending before it, not the ones after',
      facts('e2'),
      entry({ pending: ['e1', 'e2', 'e3'] }),
      entry({ pending: ['e3'], retired: ['e1', 'e2'] }),
    ],
    [
      'the oldest pending export, delivered, supersedes nothing and retires itself (a second copy is skipped)',
      facts('e1'),
      entry({ pending: ['e1', 'e2'] }),
      entry({ pending: ['e2'], retired: ['e1'] }),
    ],
    [
      'a versioned export raises the recorded version',
      facts('e2', { profileVersion: 12 }),
      entry({ pending: ['e2'], version: 10 }),
      entry({ pending: [], retired: ['e2'], version: 12 }),
    ],
    [
      'keeps the last live delivery of a backfill window',
      facts('e2'),
      entry({ pending: ['e2'], liveAt: 5 }),
      entry({ pending: [], retired: ['e2'], liveAt: 5 }),
    ],
  ];
  for (const [rule, given, ledger, expected] of cases) {
    it(rule, () => expect(afterDelivery(ledger, given)).toEqual(expected));
  }

  it(`keeps at most ${MAX_RETIRED} superseded ids, dropping the oldest`, () => {
    const pending = Array.from({ length: MAX_RETIRED + 5 }, (_, i) => `e${i}`);
    const after = afterDelivery(entry({ pending }), facts('new'));
    expect(after.retired).toHaveLength(MAX_RETIRED);
    expect(after.retired[0]).toBe('e5');
    expect(after.retired.at(-1)).toBe(`e${MAX_RETIRED + 4}`);
  });

  it('appends to the pending list once', () => {
    expect(withPending(withPending(EMPTY_ENTRY, 'e1'), 'e1').pending).toEqual(['e1']);
  });
});

describe('needsLedger()', () => {
  const DAY = 86_400_000;
  it('reads the entry of a retried message', () =>
    expect(needsLedger({ receiveCount: 2 }, undefined, 0, DAY)).toBe(true));
  it('reads the entries of a destination with a recent failure', () =>
    expect(needsLedger({ receiveCount: 1 }, 10 * DAY, 10.5 * DAY, DAY)).toBe(true));
  it('reads nothing for a first delivery when no failure is within the horizon', () => {
    expect(needsLedger({ receiveCount: 1 }, undefined, 10 * DAY, DAY)).toBe(false);
    expect(needsLedger({ receiveCount: 1 }, 8 * DAY, 10 * DAY, DAY)).toBe(false);
  });
});

/**
 * A model of one FIFO group (one destination and profile) on AWS: live exports queued in stream
 * order; batches of the group's head messages (receive counts rise for the whole batch); puts that
 * fail at random (an outage); the export function's last-attempt move to the DLQ and the queue's own
 * move of an over-received message; a DLQ holding one message twice (a move whose delete failed);
 * redrives of the whole DLQ (or of its first messages) to the back of the queue as new messages; the
 * ledger applied through the functions above. The stream must end with the newest export, and every
 * export must be delivered or skipped.
 */
describe('the staleness rule over random outages and redrives (model of one FIFO group)', () => {
  type Step =
    | { kind: 'write' }
    | { kind: 'batch'; size: number; fail: readonly boolean[] }
    | { kind: 'redrive'; count: number | 'all' }
    | { kind: 'copy' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Step>({ kind: 'write' }) },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('batch' as const),
        size: fc.integer({ min: 1, max: 4 }),
        fail: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      }),
    },
    // A move whose delete failed: the DLQ holds a message twice.
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'copy' }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('redrive' as const),
        count: fc.oneof(fc.constant<'all'>('all'), fc.integer({ min: 1, max: 3 })),
      }),
    },
  );

  interface Message {
    readonly exportId: string;
    readonly n: number;
    receiveCount: number;
  }
  const MAX_RECEIVES = 3;

  function run(steps: readonly Step[], versioned: boolean) {
    let ledger: LedgerEntry = EMPTY_ENTRY;
    const queue: Message[] = [];
    const dlq: Message[] = [];
    const stream: number[] = [];
    const skipped = new Set<number>();
    let written = 0;
    const factsOf = (m: Message): ExportFacts =>
      facts(m.exportId, { profileVersion: versioned ? m.n + 1 : 0, receiveCount: m.receiveCount });

    const processBatch = (size: number, fail: readonly boolean[]) => {
      // SQS hands out the group's messages in order; one it would hand out beyond the redrive
      // policy's receive count it moves to the DLQ itself (the backstop), even behind the head.
      const batch: Message[] = [];
      for (let i = 0; i < queue.length && batch.length < size; ) {
        const m = queue[i] as Message;
        if (m.receiveCount >= MAX_RECEIVES) {
          queue.splice(i, 1);
          dlq.push(m);
          continue;
        }
        batch.push(m);
        i++;
      }
      for (const m of batch) m.receiveCount++;
      for (const [i, m] of batch.entries()) {
        const f = factsOf(m);
        const judgement = judgeExport(f, ledger);
        if (judgement !== 'put') {
          skipped.add(m.n);
          queue.splice(queue.indexOf(m), 1);
          continue;
        }
        if (needsWriteAhead(f, ledger)) ledger = withPending(ledger, m.exportId);
        if (fail[i] !== true) {
          stream.push(m.n);
          ledger = afterDelivery(ledger, f);
          queue.splice(queue.indexOf(m), 1);
          continue;
        }
        ledger = withPending(ledger, m.exportId);
        if (m.receiveCount < MAX_RECEIVES) {
          // Held back: the rest of the batch goes back too; those on their last receive are entered
          // in order, since the queue will move them itself.
          for (const later of batch.slice(i + 1)) {
            if (later.receiveCount >= MAX_RECEIVES) ledger = withPending(ledger, later.exportId);
          }
          return;
        }
        // Last attempt: the function moves it to the DLQ and goes on with the group.
        queue.splice(queue.indexOf(m), 1);
        dlq.push(m);
      }
    };

    for (const s of steps) {
      if (s.kind === 'write') queue.push({ exportId: `e${written}`, n: written++, receiveCount: 0 });
      else if (s.kind === 'batch') processBatch(s.size, s.fail);
      else if (s.kind === 'copy') {
        const last = dlq.at(-1);
        if (last !== undefined) dlq.push({ ...last });
      } else {
        const moved = dlq.splice(0, s.count === 'all' ? dlq.length : s.count);
        for (const m of moved) queue.push({ ...m, receiveCount: 0 });
      }
    }
    // The outage ends: redrive everything and drain.
    for (let round = 0; round < 50 && (queue.length > 0 || dlq.length > 0); round++) {
      for (const m of dlq.splice(0)) queue.push({ ...m, receiveCount: 0 });
      while (queue.length > 0) processBatch(4, [false, false, false, false]);
    }
    return { stream, skipped, written };
  }

  for (const versioned of [false, true]) {
    it(`ends every stream with the newest export, none lost (${versioned ? 'versioned' : 'unversioned'} writer)`, () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
          const { stream, skipped, written } = run(steps, versioned);
          if (written === 0) return;
          expect(stream.at(-1)).toBe(written - 1);
          for (let n = 0; n < written; n++) expect(stream.includes(n) || skipped.has(n)).toBe(true);
        }),
        { numRuns: 400 },
      );
    });
  }
});
