/**
 * Fault suite, DynamoDB Local restart: DynamoDB Local restarts while profile writes are flowing. The
 * profile writer's caller retries its writes through the outage (as an upstream service would); the
 * pipeline must lose nothing and keep each profile's order.
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
    // Tables, items and the stream survive a DynamoDB Local restart.
    persistDynamoDb: true,
    // Three receives must outlast a restart (DynamoDB Local needs seconds to come back), as the
    // 3 × 180 s of the real queue do: 4× the function timeout, retries still within seconds.
    timings: { exportVisibilityTimeoutSeconds: 8, exportTimeoutMs: 2_000 },
    decideMapping: { maxBatchingWindowMs: 200 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault suite: emulator restarts', () => {
  it('loses nothing when DynamoDB Local restarts mid-run', async () => {
    const ids = profileIds('ddb', 400);
    await writeRound(stack, ids, 0);
    const [retries] = await Promise.all([
      (async () => {
        const a = await writeRound(stack, ids, 1, { deadlineMs: 90_000 });
        const b = await writeRound(stack, ids, 2, { deadlineMs: 90_000 });
        return a.retries + b.retries;
      })(),
      stack.restartDynamoDb({ downtimeMs: 1_500 }),
    ]);
    await settle(stack, 120_000);
    const result = await tally(stack, 'faults', expectAll(ids, 3));
    report('DynamoDB Local restarted mid-run', result, { writerRetries: retries });
    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(result.orderViolations).toBe(0);
    // Dead letters without a failure record are reported, not asserted (see the Kinesis throttling test).
  }, 240_000);
});
