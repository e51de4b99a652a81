/**
 * Fault suite, slow Kinesis: a fifth of the PutRecords calls answer just before the export function's
 * timeout (the records are written); nothing is lost, order holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import {
  expectAll,
  type KinesisFaultStack,
  profileIds,
  report,
  settle,
  startKinesisFaultStack,
  tally,
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
  it('loses nothing when responses are slowed to near the function timeout', async () => {
    const fault = faults.proxy;
    fault.resetStats();
    // A fifth of the calls answer just before the export function's timeout; the records are written.
    fault.setFault({
      kind: 'stall',
      ms: Math.round(stack.timings.exportTimeoutMs * 0.85),
      phase: 'after',
      share: 0.2,
    });
    const ids = profileIds('slow', 200);
    for (let k = 0; k < 3; k++) await writeRound(stack, ids, k);
    await settle(stack, 150_000);
    fault.setFault({ kind: 'none' });
    const result = await tally(stack, 'faults', expectAll(ids, 3));
    report('responses slowed to near the function timeout', result, { proxy: fault.stats() });
    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(result.orderViolations).toBe(0);
    // Duplicates and dead letters are reported, not asserted (see the throttling test): a call answered
    // after the function's deadline was written, and is put again.
  }, 240_000);
});
