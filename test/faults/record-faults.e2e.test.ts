/**
 * Fault suite, bad records and crashes: poison stream records (images that fail the schema) and
 * payloads over the Kinesis record limit go to the rejects queue with their reason while the rest
 * flows; the decide function crashing partway through a batch (after queueing part of it) is
 * retried without loss or reordering.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import type { LambdaHandler } from '../../local/event-sources/invoke.js';
import type { LocalStack } from '../../local/stack.js';
import { membership, segment } from '../helpers/factories.js';
import { startTestStack } from '../helpers/stack.js';
import { expectAll, profileIds, report, settle, tally, writeRound } from './harness.js';
import { FAULT_SEGMENT, faultConfig, tokenOf, workloadDocument } from './ledger.js';

/** Segments of the same merge policy as the mapped one, with long names: a member of all of them
 * has an export document over 1 MiB (names are exported), while its item stays small. */
const BIG_SEGMENTS = 600;
const NAME = 'n'.repeat(1_800);

function configWithLargeCatalog() {
  return faultConfig({
    includeSegmentNames: true,
    extraCatalog: Array.from({ length: BIG_SEGMENTS }, (_, i) =>
      segment({ id: `big-${i}`, name: `${i} ${NAME}`, createdAt: 1640000000000, updatedAt: 1640000000000 }),
    ),
  });
}

const crash = { enabled: false, crashes: 0, max: 25, seen: new Set<string>() };

/** Runs the first half of a batch through the real handler (its exports are queued), then crashes. */
function crashingPartway(
  handler: LambdaHandler<DynamoDBStreamEvent, unknown>,
): LambdaHandler<DynamoDBStreamEvent, unknown> {
  return async (event, context) => {
    const first = event.Records[0]?.dynamodb?.SequenceNumber ?? '';
    if (crash.enabled && crash.crashes < crash.max && event.Records.length > 1 && !crash.seen.has(first)) {
      crash.seen.add(first);
      crash.crashes++;
      await handler({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) }, context);
      throw new Error('injected crash partway through the batch');
    }
    return handler(event, context);
  };
}

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    config: configWithLargeCatalog(),
    // Retries within seconds, and a visibility timeout twice the function timeout (AWS asks for 6×),
    // so a slow invocation's messages are not handed out again while it still runs.
    timings: { exportVisibilityTimeoutSeconds: 4, exportTimeoutMs: 2_000 },
    decideMapping: { maxBatchingWindowMs: 200 },
    wrapHandlers: { decide: crashingPartway },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault suite: bad records and crashes', () => {
  it('rejects poison records and oversize payloads with their reason while the rest flows', async () => {
    const ids = profileIds('rec', 150);
    const poison = profileIds('poison', 40);
    const oversize = profileIds('big', 4);
    const table = stack.resources.profileTableName;
    await writeRound(stack, ids, 0);
    // Poison: written around the profile writer, with a segment status the schema refuses.
    for (const id of poison) {
      const item = {
        ...workloadDocument(id, 0),
        segmentMembership: {
          ups: { [FAULT_SEGMENT]: { status: 'qualified', lastQualificationTime: 'yesterday' } },
        },
      };
      await stack.clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: marshall(item) }));
    }
    // Oversize: a member of every long-named segment of the mapped segment's merge policy.
    for (const id of oversize) {
      const ups: Record<string, unknown> = {
        [FAULT_SEGMENT]: membership('realized'),
      };
      for (let i = 0; i < BIG_SEGMENTS; i++) ups[`big-${i}`] = membership('realized');
      await writeRound(stack, [id], 0);
      const doc = { profileId: id, personalEmail: { address: tokenOf(id, 1) }, segmentMembership: { ups } };
      await writeProfiles([doc], { tableName: table, client: stack.clients.dynamodb });
    }
    for (let k = 1; k < 3; k++) await writeRound(stack, ids, k);
    await settle(stack);
    const expected = expectAll(ids, 3);
    for (const id of poison) expected.set(id, [0]);
    for (const id of oversize) expected.set(id, [0, 1]);
    const result = await tally(stack, 'faults', expected);
    report('poison stream records and oversize payloads', result);
    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(result.rejected).toBe(poison.length + oversize.length);
    expect(result.withoutReason).toBe(0);
    expect(result.orderViolations).toBe(0);
  }, 240_000);

  it('loses nothing and keeps order when the decide function crashes partway through batches', async () => {
    crash.enabled = true;
    const ids = profileIds('crash', 250);
    for (let k = 0; k < 4; k++) await writeRound(stack, ids, k);
    await settle(stack, 150_000);
    crash.enabled = false;
    const result = await tally(stack, 'faults', expectAll(ids, 4));
    report('decide function crashing partway through a batch', result, { crashes: crash.crashes });
    expect(crash.crashes).toBeGreaterThan(0);
    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(result.orderViolations).toBe(0);
  }, 240_000);
});
