/**
 * End to end on the local stack, through the real decide and export functions: with the destination
 * stream unavailable, exports land in the dead-letter queue after three attempts; `dlq list` shows
 * them with their error; once the stream is back, `dlq redrive` delivers every one of them — or, for
 * a profile that changed again meanwhile, the delivery ledger skips the stale ones — and the last
 * record of every profile in Kinesis is its current state.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationRecord } from '../../adapters/kinesis-reader.js';
import { listDeadLetters } from '../../cli/dlq/listing.js';
import { redriveDeadLetters } from '../../cli/dlq/redrive.js';
import { formatDeadLetterTable } from '../../cli/dlq/table.js';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { config as configOf, destination, membership, SEG } from '../helpers/factories.js';
import { startTestStack, writeTo } from '../helpers/stack.js';

const SEGMENT = SEG.john;
const config = configOf({
  destinations: [
    destination({ streamName: 'redrive-e2e', segments: [SEGMENT], attributes: ['person.name.lastName'] }),
  ],
});

const PROFILES = 6;
const ids = Array.from({ length: PROFILES }, (_, i) => `p-${i}`);
/** Profiles changed twice during the outage (two dead-lettered exports in one FIFO group). */
const twice = new Set(['p-0', 'p-1', 'p-2']);
/** Profiles changed again after the outage, before the redrive: their dead letters are stale. */
const changedAfter = new Set(['p-0', 'p-3']);

let stack: LocalStack;
let proxy: FaultProxy | undefined;

function profile(id: string, lastName: string) {
  return {
    profileId: id,
    person: { name: { lastName } },
    identityMap: { email: [{ id: `${id}@example.com` }] },
    segmentMembership: {
      ups: { [SEGMENT]: membership('realized', '2024-01-01T00:00:00Z') },
    },
  };
}

async function write(docs: ReturnType<typeof profile>[]): Promise<void> {
  await writeTo(stack, docs);
}

function lastNameOf(record: DestinationRecord): string {
  return ((record.data as { person?: { name?: { lastName?: string } } }).person?.name?.lastName ??
    '') as string;
}

beforeAll(async () => {
  stack = await startTestStack({
    config,
    functionKinesisEndpoint: async (emulator) => {
      proxy = await startFaultProxy({ target: emulator });
      return proxy.url;
    },
    // A failed batch comes back after three seconds, so three attempts take seconds, not minutes;
    // long enough that a slow invocation on a busy machine still records its failure.
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 3_000 },
    // Dead-lettering is logged at ERROR by design; keep the test output readable.
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
});

describe('dead letters and redrive on the local stack', () => {
  it('dead-letters exports while the stream is unavailable, lists them, and redrives them without going back in time', async () => {
    // Before the outage: every profile delivered once.
    await write(ids.map((id) => profile(id, `${id}-v1`)));
    await stack.waitForIdle({ timeoutMs: 60_000 });
    expect(await stack.readRecords('marketing')).toHaveLength(PROFILES);

    // Outage: every put to the stream fails.
    proxy?.setFault({ kind: 'http-error', status: 503 });
    const deadLettered = PROFILES + twice.size;
    const dlqHolds = (n: number) =>
      waitFor(`${n} exports in the DLQ`, async () => (await stack.queueDepth('dlq')) === n, {
        timeoutMs: 90_000,
        intervalMs: 200,
      });
    await write(ids.map((id) => profile(id, `${id}-v2`)));
    await dlqHolds(PROFILES);
    // A second change of some profiles, dead-lettered after their first. It is written once the
    // first is in the DLQ: the SQS emulator does not hold a FIFO group back, so the local runtime
    // receives a group's later message early and holds it, and releasing it costs a receive — with
    // both in the queue at once, the later one can reach the DLQ first, with fewer than three real
    // attempts. AWS hands a group's next message out only after the previous one left the queue.
    await write([...twice].map((id) => profile(id, `${id}-v3`)));
    await dlqHolds(deadLettered);
    await stack.waitForIdle({ timeoutMs: 60_000 });

    // dlq list: one row per dead-lettered export, the error and three attempts, no personal data.
    const listing = await listDeadLetters({
      sqs: stack.clients.sqs,
      dynamo: stack.clients.dynamodb,
      dlqUrl: stack.resources.deadLetterQueueUrl,
      stateTableName: stack.resources.stateTableName,
    });
    expect(listing.rows).toHaveLength(deadLettered);
    expect(listing.rows.map((r) => r.profileId).sort()).toEqual([...ids, ...twice].sort());
    for (const row of listing.rows) {
      expect(row.destinationId).toBe('marketing');
      expect(row.errorCode).not.toMatch(/^(UNKNOWN|UNREADABLE)$/);
      expect(row.attempts).toBe(3);
      expect(row.firstFailureAt).toBeDefined();
    }
    const table = formatDeadLetterTable(listing.rows);
    expect(table).not.toContain('-v2');
    expect(table).not.toContain('@example.com');
    // Listing consumed nothing.
    expect(await stack.queueDepth('dlq')).toBe(deadLettered);

    // The stream is back; two profiles change again and are delivered before the redrive.
    proxy?.setFault({ kind: 'none' });
    await write([...changedAfter].map((id) => profile(id, `${id}-v4`)));
    await stack.waitForIdle({ timeoutMs: 60_000 });
    const beforeRedrive = (await stack.readRecords('marketing')).length;
    expect(beforeRedrive).toBe(PROFILES + changedAfter.size);

    const result = await redriveDeadLetters({
      sqs: stack.clients.sqs,
      dlqUrl: stack.resources.deadLetterQueueUrl,
      exportQueueUrl: stack.resources.exportQueueUrl,
      pollIntervalMs: 100,
    });
    expect(result).toMatchObject({
      mechanism: 'move-task',
      status: 'COMPLETED',
      moved: deadLettered,
      failed: 0,
    });
    await stack.waitForIdle({ timeoutMs: 60_000 });
    expect(await stack.queueDepth('dlq')).toBe(0);

    const records = await stack.readRecords('marketing');
    const redriven = records.slice(beforeRedrive);
    for (const id of ids) {
      const own = records.filter((r) => r.partitionKey === id);
      const { Item } = await stack.clients.dynamodb.send(
        new GetItemCommand({ TableName: stack.resources.profileTableName, Key: { profileId: { S: id } } }),
      );
      const current = Item?.person?.M?.name?.M?.lastName?.S;
      // The last record of every profile is its current state.
      expect(lastNameOf(own.at(-1) as DestinationRecord)).toBe(current);
      const delivered = redriven.filter((r) => r.partitionKey === id).map(lastNameOf);
      if (changedAfter.has(id)) {
        // Superseded by the newer delivered export: skipped, never written over it.
        expect(current).toBe(`${id}-v4`);
        expect(delivered).toEqual([]);
      } else {
        // None lost: every dead-lettered export delivered, in the profile's order.
        expect(delivered).toEqual(twice.has(id) ? [`${id}-v2`, `${id}-v3`] : [`${id}-v2`]);
      }
    }
  });
});
