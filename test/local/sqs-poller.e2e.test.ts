import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../local/clients.js';
import { type Emulator, startSqs } from '../../local/emulators.js';
import { SqsPoller } from '../../local/event-sources/sqs-poller.js';
import { waitFor } from '../../local/wait.js';

let emulator: Emulator;
let sqs: SQSClient;

beforeAll(async () => {
  emulator = await startSqs();
  sqs = createSqsClient(emulator.endpoint);
});

afterAll(async () => {
  sqs?.destroy();
  await emulator?.stop();
});

const VISIBILITY_SECONDS = 2;

async function fifoQueueWithDlq(): Promise<{ url: string; dlqUrl: string }> {
  const name = `q${randomUUID().slice(0, 8)}`;
  const { QueueUrl: dlqUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: url = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: String(VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes.QueueArn, maxReceiveCount: 3 }),
      },
    }),
  );
  return { url, dlqUrl };
}

/** Sends `perGroup` messages to each group, bodies `<group>:<n>`, in order. */
async function sendGroups(url: string, groups: readonly string[], perGroup: number): Promise<void> {
  const entries = [];
  for (let n = 0; n < perGroup; n++) {
    for (const group of groups) {
      entries.push({
        Id: `${group}-${n}`,
        MessageBody: `${group}:${n}`,
        MessageGroupId: group,
        MessageDeduplicationId: `${group}-${n}`,
      });
    }
  }
  for (let i = 0; i < entries.length; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries.slice(i, i + 10) }));
  }
}

function parse(body: string): { group: string; n: number } {
  const [group, n] = body.split(':');
  return { group: group ?? '', n: Number(n) };
}

async function drainBodies(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => m.Body ?? ''));
  }
}

/**
 * Messages a receive would return now. (A message the emulator has just moved to the dead-letter queue
 * can stay in flight there for a moment: a drain started then finds nothing.)
 */
async function visibleMessages(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

describe('SqsPoller (FIFO)', () => {
  it('keeps each group in order and runs at most one batch per group while batches run concurrently', async () => {
    const { url } = await fifoQueueWithDlq();
    const groups = ['a', 'b', 'c', 'd', 'e', 'f'];
    await sendGroups(url, groups, 6);
    const seen = new Map<string, number[]>();
    const active = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    let overlap = false;
    const receiveCounts: number[] = [];
    const poller = new SqsPoller({
      sqsClient: sqs,
      queueUrl: url,
      timeoutMs: 1_500,
      batchSize: 4,
      concurrency: 4,
      async handler(event: SQSEvent) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const groupsHere = new Set(event.Records.map((r) => parse(r.body).group));
        for (const g of groupsHere) {
          if ((active.get(g) ?? 0) > 0) overlap = true;
          active.set(g, (active.get(g) ?? 0) + 1);
        }
        await sleep(20 + Math.floor(Math.random() * 30));
        for (const r of event.Records) {
          const { group, n } = parse(r.body);
          seen.set(group, [...(seen.get(group) ?? []), n]);
          receiveCounts.push(Number(r.attributes.ApproximateReceiveCount));
        }
        for (const g of groupsHere) active.set(g, (active.get(g) ?? 1) - 1);
        running--;
        return { batchItemFailures: [] };
      },
    });
    await poller.start();
    try {
      await waitFor('all 36 messages', () => [...seen.values()].flat().length >= 36, { timeoutMs: 20_000 });
      await waitFor('poller idle', () => poller.isIdle());
    } finally {
      await poller.stop();
    }
    expect(overlap).toBe(false);
    expect(maxRunning).toBeGreaterThan(1);
    // Messages of busy groups were held until their turn, never released and received again.
    expect(receiveCounts.every((c) => c === 1)).toBe(true);
    for (const g of groups) expect(seen.get(g)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('deletes only the successes of a partial failure and retries the failed message before the rest of its group', async () => {
    const { url } = await fifoQueueWithDlq();
    await sendGroups(url, ['p', 'q'], 4);
    const order: string[] = [];
    const receiveCounts = new Map<string, number[]>();
    let failedOnce = false;
    const poller = new SqsPoller({
      sqsClient: sqs,
      queueUrl: url,
      timeoutMs: 1_500,
      concurrency: 2,
      async handler(event: SQSEvent): Promise<SQSBatchResponse> {
        const failures: { itemIdentifier: string }[] = [];
        const failedGroups = new Set<string>();
        for (const r of event.Records) {
          const { group } = parse(r.body);
          receiveCounts.set(r.body, [
            ...(receiveCounts.get(r.body) ?? []),
            Number(r.attributes.ApproximateReceiveCount),
          ]);
          // Like the export function: after a failure, the rest of that group fails too.
          if (failedGroups.has(group) || (r.body === 'p:1' && !failedOnce)) {
            if (r.body === 'p:1') failedOnce = true;
            failedGroups.add(group);
            failures.push({ itemIdentifier: r.messageId });
            continue;
          }
          order.push(r.body);
        }
        return { batchItemFailures: failures };
      },
    });
    await poller.start();
    try {
      await waitFor('8 successes', () => order.length >= 8, { timeoutMs: 20_000 });
      await waitFor('poller idle', () => poller.isIdle(), { timeoutMs: 10_000 });
    } finally {
      await poller.stop();
    }
    expect(order.filter((b) => b.startsWith('p:'))).toEqual(['p:0', 'p:1', 'p:2', 'p:3']);
    expect(order.filter((b) => b.startsWith('q:'))).toEqual(['q:0', 'q:1', 'q:2', 'q:3']);
    expect(receiveCounts.get('p:0')).toEqual([1]);
    expect(receiveCounts.get('p:1')).toEqual([1, 2]);
    expect(receiveCounts.get('q:3')).toEqual([1]);
    expect(await drainBodies(url)).toEqual([]);
  });

  it('attempts a failing message exactly maxReceiveCount times, then the queue dead-letters it and its group goes on', async () => {
    const { url, dlqUrl } = await fifoQueueWithDlq();
    await sendGroups(url, ['x', 'y'], 3);
    const attempts: number[] = [];
    const processed: { body: string; receiveCount: number }[] = [];
    const poller = new SqsPoller({
      sqsClient: sqs,
      queueUrl: url,
      timeoutMs: 1_500,
      async handler(event: SQSEvent): Promise<SQSBatchResponse> {
        const failures: { itemIdentifier: string }[] = [];
        let groupFailed = false;
        for (const r of event.Records) {
          if (r.body === 'x:0') {
            attempts.push(Number(r.attributes.ApproximateReceiveCount));
            groupFailed = true;
          }
          // The rest of a failed group fails too (FIFO order), so it shares x:0's receives.
          if (groupFailed && r.body.startsWith('x:')) failures.push({ itemIdentifier: r.messageId });
          else processed.push({ body: r.body, receiveCount: Number(r.attributes.ApproximateReceiveCount) });
        }
        return { batchItemFailures: failures };
      },
    });
    await poller.start();
    try {
      await waitFor('x:0 dead-lettered', () => visibleMessages(dlqUrl).then((n) => n === 3), {
        timeoutMs: 20_000,
        intervalMs: 200,
      });
      expect(await drainBodies(dlqUrl)).toEqual(['x:0', 'x:1', 'x:2']);
      // The group is not stuck behind its dead-lettered head.
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [{ Id: 'x3', MessageBody: 'x:3', MessageGroupId: 'x', MessageDeduplicationId: 'x-3' }],
        }),
      );
      await waitFor('x:3 processed', () => processed.some((p) => p.body === 'x:3'), { timeoutMs: 10_000 });
      await waitFor('poller idle', () => poller.isIdle(), { timeoutMs: 10_000 });
    } finally {
      await poller.stop();
    }
    // x:1 and x:2 were in x:0's batches and failed with it (FIFO order), so they share its receives.
    expect(attempts).toEqual([1, 2, 3]);
    expect(processed.filter((p) => p.body.startsWith('x:'))).toEqual([{ body: 'x:3', receiveCount: 1 }]);
    expect(processed.filter((p) => p.body.startsWith('y:')).map((p) => p.body)).toEqual([
      'y:0',
      'y:1',
      'y:2',
    ]);
  });

  it('survives a handler that throws: the whole batch comes back and is retried', async () => {
    const { url } = await fifoQueueWithDlq();
    await sendGroups(url, ['t'], 2);
    let calls = 0;
    const done: string[] = [];
    const poller = new SqsPoller({
      sqsClient: sqs,
      queueUrl: url,
      timeoutMs: 1_500,
      async handler(event: SQSEvent) {
        calls++;
        if (calls === 1) throw new TypeError('boom');
        done.push(...event.Records.map((r) => r.body));
        return undefined;
      },
    });
    await poller.start();
    try {
      await waitFor('retried batch', () => done.length >= 2, { timeoutMs: 15_000 });
    } finally {
      await poller.stop();
    }
    expect(done).toEqual(['t:0', 't:1']);
    expect(calls).toBe(2);
  });
});
