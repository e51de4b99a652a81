import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type QueueEntry, sendInOrder } from '../../../adapters/queue-sender.js';

const QUEUE = 'https://sqs.local/000000000000/export.fifo';
const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: 'us-east-1' });
const noWait = { sleep: async () => undefined, maxAttempts: 2 };

/** One entry per group, `g<from>`…`g<to>`, ids `<prefix><n>`. */
function entries(prefix: string, from: number, to: number): QueueEntry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    id: `${prefix}${from + i}`,
    body: `body ${prefix}${from + i}`,
    groupId: `g${from + i}`,
    deduplicationId: `${prefix}${from + i}`,
  }));
}

/** A fake queue whose calls answer only when released, recording what was in flight. */
function heldQueue(fail: (groups: string[]) => boolean = () => false) {
  const calls: { groups: string[]; release: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const accepted: string[] = [];
  sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
    const groups = (input.Entries ?? []).map((e) => e.MessageGroupId as string);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((release) => calls.push({ groups, release }));
    inFlight -= 1;
    if (fail(groups)) throw new Error('connection reset');
    accepted.push(...groups);
    return {
      Successful: (input.Entries ?? []).map((e) => ({
        Id: e.Id,
        MessageId: `m-${e.Id}`,
        MD5OfMessageBody: '',
      })),
    };
  });
  return {
    calls,
    accepted,
    maxInFlight: () => maxInFlight,
    /** Releases every call made so far and lets the sender go on. */
    async releaseAll() {
      for (const call of calls.splice(0)) call.release();
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

/** Releases the queue's calls until `sending` ends. */
async function drive<T>(queue: ReturnType<typeof heldQueue>, sending: Promise<T>): Promise<T> {
  let done = false;
  void sending.finally(() => {
    done = true;
  });
  for (let round = 0; round < 50 && !done; round++) await queue.releaseAll();
  return sending;
}

beforeEach(() => {
  sqs.reset();
});

describe('sendInOrder()', () => {
  it('sends one call at a time by default', async () => {
    const queue = heldQueue();

    const result = await drive(queue, sendInOrder(client, QUEUE, entries('e', 1, 30), noWait));

    expect(result.unsent).toEqual([]);
    expect(queue.maxInFlight()).toBe(1);
  });

  it('overlaps calls of different groups, and sends a group again only after its earlier entry was accepted', async () => {
    const queue = heldQueue();
    // Calls: g1–g10, g11–g20, then g1's later message with g21.
    const later = { id: 'b1', body: 'body b1', groupId: 'g1', deduplicationId: 'b1' };
    const all = [...entries('a', 1, 20), later, ...entries('c', 21, 21)];
    const sending = sendInOrder(client, QUEUE, all, { ...noWait, concurrency: 10 });
    await new Promise((resolve) => setTimeout(resolve, 0));

    // The first two calls share no group: both are in flight; g1's later message waits for the first.
    expect(queue.calls.map((c) => c.groups[0])).toEqual(['g1', 'g11']);
    queue.calls.shift()?.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(queue.calls.map((c) => c.groups)).toEqual([
      entries('a', 11, 20).map((e) => e.groupId),
      ['g1', 'g21'],
    ]);
    const result = await drive(queue, sending);

    expect(result.unsent).toEqual([]);
    expect(queue.accepted.filter((g) => g === 'g1')).toHaveLength(2);
    expect(queue.maxInFlight()).toBe(2);
  });

  it('reports the entries of a call that keeps failing and every later one unsent, and never sends its groups again', async () => {
    const queue = heldQueue((groups) => groups.includes('g1'));
    const later = { id: 'c1', body: 'body c1', groupId: 'g1', deduplicationId: 'c1' };
    const all = [...entries('a', 1, 10), ...entries('b', 11, 20), later];

    const result = await drive(queue, sendInOrder(client, QUEUE, all, { ...noWait, concurrency: 10 }));

    // The caller checkpoints at the first of them and sends them all again (the queue drops copies).
    expect(result.unsent).toEqual(all.map((e) => e.id));
    expect(queue.accepted).not.toContain('g1');
    expect(result.lastError).toContain('connection reset');
  });
});
