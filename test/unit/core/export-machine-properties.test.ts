import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchMessage,
  type BatchState,
  finish,
  hasNextRound,
  isFinal,
  isLastReceive,
  type MessageState,
  messagesAt,
  nextRound,
  onDeadline,
  onMoved,
  onPutResults,
  onRecorded,
  type PutAnswer,
  response,
  startBatch,
} from '../../../core/export-machine.js';
import { EMPTY_ENTRY } from '../../../core/staleness.js';
import { batchMessage, INVALID_RECORD, RETRYABLE, SETTINGS } from './export-machine-fixtures.js';

const DONE = new Set<MessageState>(['delivered', 'superseded', 'dead-lettered']);

const messageArb = fc.record({
  group: fc.constantFrom('a', 'b', 'c', 'd'),
  receiveCount: fc.integer({ min: 1, max: 33 }),
  kind: fc.constantFrom('plain', 'plain', 'plain', 'poison', 'unknown-destination', 'not-an-export'),
  attemptsMade: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  stale: fc.boolean(),
});

const worldArb = fc.record({
  puts: fc.array(fc.constantFrom('accept', 'accept-owing', 'fail', 'fail-hard', 'not-sent'), {
    minLength: 1,
    maxLength: 20,
  }),
  attempts: fc.array(fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), {
    minLength: 1,
    maxLength: 20,
  }),
  ledger: fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
  moves: fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
  deadlineAfter: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
});

/** Cycles through `values`. */
function cycle<T>(values: readonly T[]): () => T {
  let i = 0;
  return () => values[i++ % values.length] as T;
}

type MessageSpec = typeof messageArb extends fc.Arbitrary<infer S> ? S : never;

function toMessages(specs: readonly MessageSpec[]): BatchMessage[] {
  return specs.map((spec, i) =>
    batchMessage(`m${i}`, spec.group, {
      receiveCount: spec.receiveCount,
      ...(spec.attemptsMade !== undefined && { attemptsMade: spec.attemptsMade }),
      ...(spec.kind === 'poison' && { problem: INVALID_RECORD }),
      ...(spec.kind === 'unknown-destination' && {
        problem: { code: 'UnknownDestination', message: 'not in the config', retryable: true },
      }),
      ...(spec.kind === 'not-an-export' && { isExport: false }),
    }),
  );
}

describe('the export state machine, over generated batches and outcomes', () => {
  it('keeps order per group, answers every message once, loses none, and dead-letters only by the rule', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 10 }), worldArb, (specs, world) => {
        const messages = toMessages(specs);
        const stale = new Set(specs.flatMap((s, i) => (s.stale ? [`e-m${i}`] : [])));
        const entryOf = () => ({ ...EMPTY_ENTRY, retired: [...stale] });
        const putAnswer = cycle(world.puts);
        const attemptsOf = cycle(world.attempts);
        const ledgerOk = cycle(world.ledger);
        const moveOk = cycle(world.moves);
        const fedAttempts = new Map<string, number | undefined>();

        let state: BatchState = startBatch(messages, SETTINGS);
        for (let round = 0; hasNextRound(state); round++) {
          if (round === world.deadlineAfter) {
            state = onDeadline(state);
            break;
          }
          const next = nextRound(state, entryOf);
          state = next.state;
          // One message per group per round, and only when every earlier one of its group is done.
          expect(new Set(next.puts.map((m) => m.group)).size).toBe(next.puts.length);
          for (const m of next.puts) {
            const index = messages.indexOf(m);
            for (const earlier of next.state.entries.slice(0, index)) {
              if (earlier.message.group === m.group) expect(DONE.has(earlier.status.at)).toBe(true);
            }
            // Attempts never go past the limit: a message whose attempts are used is not put again.
            expect(m.attemptsMade ?? 0).toBeLessThan(SETTINGS.attempts);
          }
          const answers = new Map<string, PutAnswer>();
          for (const m of next.puts) {
            const a = putAnswer();
            answers.set(
              m.id,
              a === 'accept' || a === 'accept-owing'
                ? { kind: 'accepted', owesLedgerWrite: a === 'accept-owing' }
                : a === 'not-sent'
                  ? { kind: 'not-sent', failure: RETRYABLE }
                  : { kind: 'failed', failure: a === 'fail' ? RETRYABLE : INVALID_RECORD },
            );
          }
          state = onPutResults(state, answers);
          const attempts = new Map<string, number>();
          for (const m of messagesAt(state, 'failing')) {
            const count = attemptsOf();
            fedAttempts.set(m.id, count);
            if (count !== undefined) attempts.set(m.id, count);
          }
          state = onRecorded(state, { ledgerWritten: ledgerOk(), attempts });
          state = onMoved(state, new Map(messagesAt(state, 'moving').map((m) => [m.id, moveOk()])));
          if (world.deadlineAfter === undefined && round > 40) throw new Error('the batch never ends');
        }

        const closed = state.closed;
        const ended = finish(state);
        // Nothing lost: every message is delivered, superseded, dead-lettered or reported failed.
        expect(ended.entries.every((e) => isFinal(e.status.at))).toBe(true);
        // Answered once: the failures are exactly the failed messages, each once, in batch order.
        const failures = response(state).batchItemFailures.map((f) => f.itemIdentifier);
        expect(failures).toEqual(
          ended.entries.filter((e) => e.status.at === 'failed').map((e) => e.message.id),
        );
        expect(new Set(failures).size).toBe(failures.length);
        // After the deadline nothing changes.
        if (closed) expect(onMoved(state, new Map(messages.map((m) => [m.id, true])))).toBe(state);
        // Dead-lettered only by the rule: used its attempts, or cannot be helped by retrying, or its last receive.
        for (const e of ended.entries) {
          if (e.status.at !== 'dead-lettered') continue;
          const attempts = e.status.attempts;
          const byRule =
            !e.status.failure.retryable ||
            (attempts !== undefined && attempts >= SETTINGS.attempts) ||
            isLastReceive(e.message, SETTINGS);
          expect(byRule, `${e.message.id} via ${e.via}`).toBe(true);
          if (e.via === 'moved' && e.status.failure.retryable && !isLastReceive(e.message, SETTINGS)) {
            expect(attempts).toBeGreaterThanOrEqual(SETTINGS.attempts);
          }
        }
        // Order per group in what is done: no later message of a group is done after an earlier one failed.
        for (const group of new Set(messages.map((m) => m.group))) {
          const statuses = ended.entries.filter((e) => e.message.group === group).map((e) => e.status.at);
          const firstFailed = statuses.indexOf('failed');
          if (firstFailed >= 0) expect(statuses.slice(firstFailed).every((s) => s === 'failed')).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
