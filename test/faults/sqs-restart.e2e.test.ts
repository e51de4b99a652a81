/**
 * Fault suite, SQS emulator restart: the SQS emulator restarts while profile writes are flowing and
 * the first round is being exported. The pipeline must lose nothing and keep each profile's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { startTestStack } from '../helpers/stack.js';
import { expectAll, profileIds, report, settle, tally, writeRound } from './harness.js';
import { faultConfig } from './ledger.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    config: faultConfig(),
    // Three receives must outlast a restart, as the 3 × 180 s of the real queue do: 4× the function
    // timeout, retries still within seconds.
    timings: { exportVisibilityTimeoutSeconds: 8, exportTimeoutMs: 2_000 },
    decideMapping: { maxBatchingWindowMs: 200 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault suite: emulator restarts', () => {
  it('loses nothing when the SQS emulator restarts mid-run', async () => {
    const ids = profileIds('sqs', 400);
    await writeRound(stack, ids, 0);
    // Restart while the second round is being written and the first is being exported.
    const [writes] = await Promise.all([
      (async () => {
        await writeRound(stack, ids, 1);
        await writeRound(stack, ids, 2);
      })(),
      stack.restartSqs({ downtimeMs: 1_500 }),
    ]);
    expect(writes).toBeUndefined();
    await settle(stack, 120_000);
    const result = await tally(stack, 'faults', expectAll(ids, 3));
    report('SQS emulator restarted mid-run', result);
    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(result.orderViolations).toBe(0);
    // Dead letters without a failure record are reported, not asserted (see the Kinesis throttling test).
  }, 240_000);
});
