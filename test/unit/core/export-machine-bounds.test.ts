/**
 * The export state machine across receives: a FIFO queue with Lambda's event source in front of it
 * (batches of up to 10 messages, a group's messages in order, a failed message and the later ones of
 * its group returned together), an outage of the destination, Lambda throttles and deadline answers,
 * and the failure records the export function keeps. It checks the numbers
 * `core/pipeline-settings.ts` derives the export queue's backstop from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchMessage,
  type BatchState,
  hasNextRound,
  messagesAt,
  nextRound,
  onDeadline,
  onMoved,
  onPutResults,
  onRecorded,
  startBatch,
} from '../../../core/export-machine.js';
import { PIPELINE_SETTINGS, receivesUntilLastAttempt } from '../../../core/pipeline-settings.js';
import { EMPTY_ENTRY } from '../../../core/staleness.js';
import { batchMessage, INVALID_RECORD, RETRYABLE } from './export-machine-fixtures.js';

const BATCH = PIPELINE_SETTINGS.export.batchSize;
const ATTEMPTS = PIPELINE_SETTINGS.export.attempts;
const SETTINGS = { attempts: ATTEMPTS, maxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount };

/** One export in the simulated queue. */
interface Queued {
  readonly id: string;
  readonly group: string;
  readonly poison: boolean;
  receiveCount: number;
  /** Real attempts (puts, or failures before any put) in the export function, all lives. */
  attempts: number;
  /** The failure record's count, as the export function keeps it. */
  recorded: number;
  /** The receive count of each real attempt. */
  attemptReceives: number[];
  fate?: 'delivered' | 'dead-lettered' | 'moved-by-queue';
}

/** What happens on one receive. */
type Step = 'process' | 'throttle' | { deadlineAfterRounds: number } | 'move-fails';

interface Run {
  readonly exports: Queued[];
  /** Receives that made no attempt possible: throttles, deadline answers, failed moves. */
  readonly wasted: number;
  readonly delivered: Map<string, string[]>;
}

/**
 * Plays the queue until it is empty (or `maxReceives`): the destination fails every put for the
 * first `outage` receives. Each receive takes the oldest groups' first messages, up to 10.
 */
function simulate(
  groups: readonly { group: string; size: number; poison: readonly number[] }[],
  outage: number,
  steps: readonly Step[],
  maxReceives = 600,
): Run {
  const exports: Queued[] = groups.flatMap(({ group, size, poison }) =>
    Array.from({ length: size }, (_, i) => ({
      id: `${group}${i}`,
      group,
      poison: poison.includes(i),
      receiveCount: 0,
      attempts: 0,
      recorded: 0,
      attemptReceives: [],
    })),
  );
  const delivered = new Map<string, string[]>();
  let wasted = 0;
  for (let receive = 0; receive < maxReceives; receive++) {
    const waiting = exports.filter((e) => e.fate === undefined);
    if (waiting.length === 0) break;
    // SQS moves a message received maxReceiveCount times instead of handing it out again.
    for (const e of waiting) if (e.receiveCount >= SETTINGS.maxReceiveCount) e.fate = 'moved-by-queue';
    const batch = exports.filter((e) => e.fate === undefined).slice(0, BATCH);
    if (batch.length === 0) break;
    for (const e of batch) e.receiveCount++;
    const step = steps[receive % Math.max(1, steps.length)] ?? 'process';
    if (step === 'throttle') {
      wasted++;
      continue;
    }
    const byId = new Map(batch.map((e) => [e.id, e]));
    const messages: BatchMessage[] = batch.map((e) => ({
      ...batchMessage(e.id, e.group, {
        receiveCount: e.receiveCount,
        ...(e.poison && { problem: INVALID_RECORD }),
      }),
      // The export function reads the failure record of a message on a retry.
      ...(e.receiveCount >= 2 && { attemptsMade: e.recorded }),
    }));
    let state: BatchState = startBatch(messages, SETTINGS);
    const deadline = typeof step === 'object' ? step.deadlineAfterRounds : Number.POSITIVE_INFINITY;
    let moveFailed = false;
    for (let round = 0; hasNextRound(state); round++) {
      if (round >= deadline) {
        state = onDeadline(state);
        wasted++;
        break;
      }
      const before = state;
      const next = nextRound(state, () => EMPTY_ENTRY);
      state = next.state;
      state.entries.forEach((entry, i) => {
        const taken = before.entries[i]?.status.at === 'queued';
        if (taken && (entry.via === 'put' || entry.via === 'cannot-put')) {
          const e = byId.get(entry.message.id) as Queued;
          e.attempts++;
          e.attemptReceives.push(e.receiveCount);
        }
      });
      state = onPutResults(
        state,
        new Map(
          next.puts.map((m) => [
            m.id,
            receive < outage
              ? { kind: 'failed', failure: RETRYABLE }
              : { kind: 'accepted', owesLedgerWrite: false },
          ]),
        ),
      );
      const attempts = new Map<string, number>();
      for (const m of messagesAt(state, 'failing')) {
        const e = byId.get(m.id) as Queued;
        e.recorded++;
        attempts.set(m.id, e.recorded);
      }
      state = onRecorded(state, { ledgerWritten: true, attempts });
      const fails = step === 'move-fails' && !moveFailed;
      state = onMoved(state, new Map(messagesAt(state, 'moving').map((m) => [m.id, !fails])));
      if (fails && messagesAt(state, 'failed').length > 0) {
        moveFailed = true;
        wasted++;
      }
    }
    for (const entry of state.entries) {
      const e = byId.get(entry.message.id) as Queued;
      if (entry.status.at === 'delivered') {
        e.fate = 'delivered';
        delivered.set(e.group, [...(delivered.get(e.group) ?? []), e.id]);
      }
      if (entry.status.at === 'dead-lettered') e.fate = 'dead-lettered';
    }
  }
  return { exports, wasted, delivered };
}

describe('the export queue backstop (core/pipeline-settings.ts)', () => {
  it(`is reached at receive ${receivesUntilLastAttempt(BATCH, ATTEMPTS)} by the last message of a full batch behind heads that each use their ${ATTEMPTS} attempts`, () => {
    const run = simulate([{ group: 'g', size: 25, poison: [] }], 10_000, ['process'], 200);

    const lastAttempts = run.exports
      .filter((e) => e.attempts === ATTEMPTS)
      .map((e) => e.attemptReceives.at(-1));
    expect(Math.max(...(lastAttempts as number[]))).toBe(receivesUntilLastAttempt(BATCH, ATTEMPTS));
    expect(run.exports[BATCH - 1]?.attemptReceives).toEqual([19, 20, 21]);
    expect(run.exports.every((e) => e.fate !== 'moved-by-queue')).toBe(true);
  });

  it('is derived from that bound plus the receives allowed without an attempt', () => {
    expect(PIPELINE_SETTINGS.exportQueue.maxReceiveCount).toBe(
      receivesUntilLastAttempt(BATCH, ATTEMPTS) + 10,
    );
    expect(receivesUntilLastAttempt(10, 3)).toBe(21);
  });

  it('holds over generated outages, poison, throttles, deadlines and failed moves', () => {
    const stepArb = fc.oneof(
      { weight: 8, arbitrary: fc.constant<Step>('process') },
      { weight: 1, arbitrary: fc.constant<Step>('throttle') },
      { weight: 1, arbitrary: fc.constant<Step>('move-fails') },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((n): Step => ({ deadlineAfterRounds: n })) },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            size: fc.integer({ min: 1, max: 14 }),
            poison: fc.array(fc.integer({ min: 0, max: 13 }), { maxLength: 2 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        fc.integer({ min: 0, max: 80 }),
        fc.array(stepArb, { minLength: 1, maxLength: 30 }),
        (groupSpecs, outage, steps) => {
          const groups = groupSpecs.map((g, i) => ({ group: `g${i}-`, ...g }));
          const run = simulate(groups, outage, steps);

          for (const e of run.exports) {
            // Never more than three real attempts.
            expect(e.attempts, e.id).toBeLessThanOrEqual(ATTEMPTS);
            // Dead-lettered by the function only after its attempts, or at once when it is poison.
            // (or on its last receive, which only receives wasted beyond the backstop's allowance reach)
            const lastReceive = e.receiveCount >= SETTINGS.maxReceiveCount;
            if (e.fate === 'dead-lettered' && !e.poison && !lastReceive)
              expect(e.attempts, e.id).toBe(ATTEMPTS);
            // (again after a move the dead-letter queue refused)
            if (e.fate === 'dead-lettered' && e.poison && !steps.includes('move-fails'))
              expect(e.attempts, e.id).toBe(1);
            // Its last attempt within the bound, plus the receives that made no attempt possible.
            for (const r of e.attemptReceives)
              expect(r, e.id).toBeLessThanOrEqual(receivesUntilLastAttempt(BATCH, ATTEMPTS) + run.wasted);
          }
          // With no more wasted receives than the backstop allows for, the queue itself moves nothing.
          if (run.wasted <= 10) expect(run.exports.filter((e) => e.fate === 'moved-by-queue')).toEqual([]);
          // Nothing lost, and each group delivered in order.
          expect(run.exports.filter((e) => e.fate === undefined)).toEqual([]);
          for (const { group } of groups) {
            const ids = run.delivered.get(group) ?? [];
            const order = ids.map((id) => Number(id.slice(group.length)));
            expect(order).toEqual([...order].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
