/**
 * Fault suite, Kinesis outage: every PutRecords call fails for longer than the retry window; each
 * export is dead-lettered with its reason, then the DLQ is redriven and every export is delivered in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import {
  expectAll,
  type KinesisFaultStack,
  profileIds,
  redriveDeadLetters,
  report,
  settle,
  startKinesisFaultStack,
  tally,
  visibleMessages,
  writeRound,
} from './harness.js';

let faults: KinesisFaultStack;
let stack: LocalStack;

beforeAll(async () => {
  faults = await startKinesisFaultStack();
  stack = faults.stack;
}, 120_000);

afterAll(async () => {
  await faults?.stop();
});

describe('fault suite: Kinesis', () => {
  it('dead-letters exports through an outage longer than the retry window, then delivers them on redrive', async () => {
    const fault = faults.proxy;
    fault.resetStats();
    fault.setFault({ kind: 'http-error', status: 503 });
    const ids = profileIds('out', 100);
    for (let k = 0; k < 2; k++) await writeRound(stack, ids, k);
    // Every export fails its three receives and moves to the DLQ (first attempt + two retries).
    await settle(stack, 150_000);
    const during = await tally(stack, 'faults', expectAll(ids, 2));
    report('Kinesis outage: before redrive', during, { proxy: fault.stats() });
    expect(during.lost).toBe(0);
    expect(during.delivered).toBe(0);
    expect(during.deadLettered).toBe(ids.length * 2);
    expect(during.withoutReason).toBe(0);

    fault.setFault({ kind: 'none' });
    // Redrive once every dead letter is visible (none still being moved or peeked).
    await waitFor(
      'DLQ messages visible again',
      async () => (await visibleMessages(stack, 'dlq')) >= ids.length * 2,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    await redriveDeadLetters(stack);
    await settle(stack);
    const result = await tally(stack, 'faults', expectAll(ids, 2));
    report('Kinesis outage longer than the retry window, then redrive', result, { proxy: fault.stats() });
    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(result.orderViolations).toBe(0);
    expect(result.deadLettered).toBe(0);
  }, 300_000);
});
