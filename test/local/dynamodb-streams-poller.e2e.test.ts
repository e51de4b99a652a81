import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient, createDynamoDbStreamsClient, createSqsClient } from '../../local/clients.js';
import { type Emulator, startSqs } from '../../local/emulators.js';
import {
  DynamoDbStreamsPoller,
  type DynamoDbStreamsPollerOptions,
  type StreamBatchFailureRecord,
  type StreamsPollerEvent,
} from '../../local/event-sources/dynamodb-streams-poller.js';
import { waitFor } from '../../local/wait.js';
import { testDynamoDb } from '../helpers/stack.js';

let dynamo: Emulator;
let sqsEmulator: Emulator;
let ddb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let sqs: SQSClient;

beforeAll(async () => {
  [dynamo, sqsEmulator] = await Promise.all([testDynamoDb(), startSqs()]);
  ddb = createDynamoDbClient(dynamo.endpoint);
  streams = createDynamoDbStreamsClient(dynamo.endpoint);
  sqs = createSqsClient(sqsEmulator.endpoint);
});

afterAll(async () => {
  ddb?.destroy();
  streams?.destroy();
  sqs?.destroy();
  await Promise.all([dynamo?.stop(), sqsEmulator?.stop()]);
});

/** A fresh table with a stream and `count` items written in order (ids i000, i001, …). */
async function tableWithItems(count: number): Promise<string> {
  const name = `t${randomUUID().slice(0, 8)}`;
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const ids = Array.from({ length: count }, (_, i) => `i${String(i).padStart(3, '0')}`);
  // One item per request, so the stream order is the id order.
  for (const id of ids) {
    await ddb.send(
      new BatchWriteItemCommand({ RequestItems: { [name]: [{ PutRequest: { Item: { id: { S: id } } } }] } }),
    );
  }
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
  return Table?.LatestStreamArn ?? '';
}

async function failureQueue(): Promise<string> {
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: `f${randomUUID().slice(0, 8)}` }),
  );
  return QueueUrl;
}

async function failureRecords(url: string): Promise<StreamBatchFailureRecord[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return Messages.map((m) => JSON.parse(m.Body ?? '{}') as StreamBatchFailureRecord);
}

const idOf = (r: DynamoDBStreamEvent['Records'][number]) => r.dynamodb?.Keys?.id?.S ?? '';

function poller(
  streamArn: string,
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>,
  overrides: Partial<DynamoDbStreamsPollerOptions> = {},
): DynamoDbStreamsPoller {
  return new DynamoDbStreamsPoller({
    streamsClient: streams,
    streamArn,
    handler,
    timeoutMs: 1_000,
    pollIntervalMs: 50,
    maxBatchingWindowMs: 100,
    maxRetryDelayMs: 50,
    // One lane: these tests follow the order of the whole shard (several items).
    parallelizationFactor: 1,
    ...overrides,
  });
}

describe('DynamoDbStreamsPoller', () => {
  it('delivers the records in order, in batches of at most batchSize, each once', async () => {
    const arn = await tableWithItems(12);
    const batches: string[][] = [];
    const p = poller(
      arn,
      async (event) => {
        batches.push(event.Records.map(idOf));
        return { batchItemFailures: [] };
      },
      { batchSize: 5 },
    );
    p.start();
    try {
      await waitFor('12 records', () => batches.flat().length >= 12, { timeoutMs: 15_000 });
    } finally {
      await p.stop();
    }
    expect(batches.every((b) => b.length <= 5)).toBe(true);
    expect(batches.flat()).toEqual(Array.from({ length: 12 }, (_, i) => `i${String(i).padStart(3, '0')}`));
    const first = batches[0]?.[0];
    expect(first).toBe('i000');
  });

  it('runs up to parallelizationFactor batches of one shard at once, each item in order', async () => {
    const name = `t${randomUUID().slice(0, 8)}`;
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    // Eight items written five times each, interleaved: i0 v0, i1 v0, …, i7 v0, i0 v1, …
    const ids = Array.from({ length: 8 }, (_, i) => `i${i}`);
    for (let v = 0; v < 5; v++) {
      for (const id of ids) {
        await ddb.send(
          new BatchWriteItemCommand({
            RequestItems: { [name]: [{ PutRequest: { Item: { id: { S: id }, v: { N: String(v) } } } }] },
          }),
        );
      }
    }
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
    const seen = new Map<string, number[]>();
    let running = 0;
    let mostAtOnce = 0;
    const p = poller(
      Table?.LatestStreamArn ?? '',
      async (event) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(150);
        for (const r of event.Records) {
          const versions = seen.get(idOf(r)) ?? [];
          versions.push(Number(r.dynamodb?.NewImage?.v?.N));
          seen.set(idOf(r), versions);
        }
        running--;
        return { batchItemFailures: [] };
      },
      { parallelizationFactor: 4, batchSize: 4 },
    );
    p.start();
    try {
      await waitFor('40 records', () => [...seen.values()].flat().length >= 40, { timeoutMs: 20_000 });
    } finally {
      await p.stop();
    }
    expect(mostAtOnce).toBeGreaterThanOrEqual(2);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    for (const id of ids) expect(seen.get(id)).toEqual([0, 1, 2, 3, 4]);
  });

  it('checkpoints at the first reported failure and resumes from that record (ReportBatchItemFailures)', async () => {
    const arn = await tableWithItems(6);
    const batches: string[][] = [];
    let failed = false;
    const p = poller(arn, async (event) => {
      batches.push(event.Records.map(idOf));
      const bad = event.Records.find((r) => idOf(r) === 'i003');
      if (bad !== undefined && !failed) {
        failed = true;
        // i004 is reported too; the lowest sequence number decides the checkpoint.
        const later = event.Records.find((r) => idOf(r) === 'i004');
        return {
          batchItemFailures: [
            { itemIdentifier: later?.dynamodb?.SequenceNumber ?? '' },
            { itemIdentifier: bad.dynamodb?.SequenceNumber ?? '' },
          ],
        };
      }
      return { batchItemFailures: [] };
    });
    p.start();
    try {
      await waitFor(
        'i005 delivered twice or after the retry',
        () => failed && batches.flat().filter((id) => id === 'i005').length >= 1 && batches.length >= 2,
        {
          timeoutMs: 15_000,
        },
      );
    } finally {
      await p.stop();
    }
    expect(batches[0]).toEqual(['i000', 'i001', 'i002', 'i003', 'i004', 'i005']);
    expect(batches[1]).toEqual(['i003', 'i004', 'i005']);
    expect(batches.flat().filter((id) => id === 'i000')).toHaveLength(1);
  });

  it('bisects a failing batch, retries the poison record, then describes it to the on-failure destination and moves on', async () => {
    const arn = await tableWithItems(8);
    const queueUrl = await failureQueue();
    const invocations: string[][] = [];
    const ok: string[] = [];
    const events: StreamsPollerEvent[] = [];
    const p = poller(
      arn,
      async (event) => {
        const ids = event.Records.map(idOf);
        invocations.push(ids);
        if (ids.includes('i005')) throw new Error('poison record i005');
        ok.push(...ids);
        return undefined;
      },
      { retryAttempts: 2, onFailure: { sqsClient: sqs, queueUrl }, onEvent: (e) => events.push(e) },
    );
    p.start();
    let failures: StreamBatchFailureRecord[] = [];
    try {
      await waitFor('all good records', () => ok.length >= 7, { timeoutMs: 15_000 });
      failures = await waitFor('on-failure record', async () => {
        const records = await failureRecords(queueUrl);
        return records.length > 0 ? records : undefined;
      });
    } finally {
      await p.stop();
    }
    expect(invocations[0]).toHaveLength(8);
    // 8 → 4 (ok) + 4 → 2 (i004,i005 fails) → 1 (i004 ok) → i005 alone: 1 try + 2 retries.
    expect(invocations.filter((ids) => ids.length === 1 && ids[0] === 'i005')).toHaveLength(3);
    expect(ok).toEqual(['i000', 'i001', 'i002', 'i003', 'i004', 'i006', 'i007']);
    expect(failures).toHaveLength(1);
    const [record] = failures;
    expect(record?.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(record?.requestContext.approximateInvokeCount).toBe(3);
    expect(record?.DDBStreamBatchInfo.batchSize).toBe(1);
    expect(record?.DDBStreamBatchInfo.streamArn).toBe(arn);
    const discard = events.find((e) => e.type === 'discard');
    expect(discard?.type === 'discard' && discard.sequenceNumbers[0]).toBe(
      record?.DDBStreamBatchInfo.startSequenceNumber,
    );
  });

  it('sends records older than the maximum record age to the on-failure destination without invoking', async () => {
    const arn = await tableWithItems(3);
    const queueUrl = await failureQueue();
    await sleep(1_200);
    let invoked = 0;
    const p = poller(
      arn,
      async () => {
        invoked++;
        return undefined;
      },
      { maxRecordAgeMs: 1_000, onFailure: { sqsClient: sqs, queueUrl } },
    );
    p.start();
    let failures: StreamBatchFailureRecord[] = [];
    try {
      failures = await waitFor('on-failure record', async () => {
        const records = await failureRecords(queueUrl);
        return records.length > 0 ? records : undefined;
      });
      await waitFor('caught up', () => p.isCaughtUp());
    } finally {
      await p.stop();
    }
    expect(invoked).toBe(0);
    expect(failures[0]?.requestContext.condition).toBe('RecordAgeExceeded');
    expect(failures[0]?.DDBStreamBatchInfo.batchSize).toBe(3);
  });

  it('treats a timed-out invocation as a failure and retries the batch', async () => {
    const arn = await tableWithItems(2);
    let calls = 0;
    const done: string[] = [];
    const p = poller(
      arn,
      async (event) => {
        calls++;
        if (calls === 1) await sleep(600);
        done.push(...event.Records.map(idOf));
        return undefined;
      },
      { timeoutMs: 300, bisectBatchOnError: false },
    );
    p.start();
    try {
      await waitFor('retried', () => calls >= 2 && done.length >= 2, { timeoutMs: 10_000 });
    } finally {
      await p.stop();
    }
    // The timed-out first call still finishes in the background, as a frozen sandbox's work would.
    expect(calls).toBe(2);
    expect(done.slice(0, 2)).toEqual(['i000', 'i001']);
  });
});
