/**
 * End to end on the local stack: a profile id Kinesis refuses as a partition key never fails the
 * exports next to it. A raw writer (plain `BatchWriteItem`) writes four healthy profiles and one whose
 * id is 130 emoji — 130 characters, but 260 UTF-16 code units, which is how Kinesis (and kinesalite)
 * counts the 256-character limit: the four are delivered, the one is rejected by decide with
 * PROFILE_ID_TOO_LONG, and the dead-letter queue has nothing to redrive. An export of such an id that
 * reaches the export queue anyway (a message queued by older code) is dead-lettered alone, at once,
 * marked not retryable, and a redrive of it is dead-lettered again at once: nothing healthy moves.
 */
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type Message, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redriveDeadLetters } from '../../cli/dlq/redrive.js';
import { parseConfig } from '../../core/config.js';
import { readDeadLetterReason } from '../../core/dead-letter.js';
import { parseExportMessageBody } from '../../core/export-message.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { exportMessage } from '../helpers/factories.js';
import { startTestStack } from '../helpers/stack.js';

const SEGMENT = 'seg-customers';
const EMOJI_ID = '\u{1F600}'.repeat(130);
const config = parseConfig({
  destinations: [
    {
      id: 'marketing',
      name: 'Marketing',
      region: 'us-east-1',
      streamName: 'poison-key',
      includeSegmentNames: false,
      includeSegmentTimestamps: false,
      segments: [{ id: SEGMENT, mappingCreatedAt: 1_700_000_000_000, mappingUpdatedAt: 1_700_000_000_000 }],
      attributes: ['person.name.lastName'],
    },
  ],
  segmentCatalog: [{ id: SEGMENT, name: 'Customers', mergePolicyId: 'mp', createdAt: 1, updatedAt: 1 }],
});

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    config,
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 2_500 },
    decideMapping: { maxBatchingWindowMs: 100 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const profile = (profileId: string) =>
  marshall({
    profileId,
    person: { name: { firstName: 'Jane', lastName: `last-${profileId.length}` } },
    segmentMembership: {
      ups: { [SEGMENT]: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' } },
    },
  });

/**
 * The messages of a queue, left visible, once it shows at least `atLeast` (a message the exporter just
 * sent can be missed by one short poll on a busy machine; its queue depth already counts it).
 */
async function receiveAll(queueUrl: string, atLeast = 1) {
  let messages: Message[] = [];
  await waitFor(
    `${atLeast} message(s) received from ${queueUrl}`,
    async () => {
      const { Messages = [] } = await stack.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      messages = Messages;
      return messages.length >= atLeast;
    },
    { timeoutMs: 20_000 },
  );
  return messages;
}

describe('a profile id Kinesis refuses as a partition key', () => {
  it('is refused by kinesalite for the whole PutRecords call, as by Kinesis: 130 emoji count 260', async () => {
    const put = stack.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: 'poison-key',
        Records: [
          { PartitionKey: 'healthy', Data: Buffer.from('{}') },
          { PartitionKey: EMOJI_ID, Data: Buffer.from('{}') },
        ],
      }),
    );

    await expect(put).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/records\.2\.member\.partitionKey.*length less than or equal to 256/),
    });
  });

  it('written by a raw writer beside four healthy profiles: the four are delivered, it is rejected with its reason', async () => {
    const healthy = ['raw-a', 'raw-b', 'raw-c', 'raw-d'];
    await stack.clients.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [stack.resources.profileTableName]: [...healthy.slice(0, 2), EMOJI_ID, ...healthy.slice(2)].map(
            (id) => ({ PutRequest: { Item: profile(id) } }),
          ),
        },
      }),
    );
    await waitFor('the reject', async () => (await stack.queueDepth('rejects')) === 1, { timeoutMs: 30_000 });
    await stack.waitForIdle({ timeoutMs: 30_000 });

    const records = await stack.readRecords('marketing');
    expect(records.map((r) => r.partitionKey).sort()).toEqual(healthy);
    const [reject] = await receiveAll(stack.resources.rejectsQueueUrl);
    expect(JSON.parse(reject?.Body ?? '{}')).toMatchObject({
      code: 'PROFILE_ID_TOO_LONG',
      field: 'dynamodb.Keys.profileId',
      reason: expect.stringMatching(/260 UTF-16 code units \(130 characters.*shorten the profile id/),
    });
    expect(await stack.queueDepth('dlq')).toBe(0);

    const redrive = await redriveDeadLetters({
      sqs: stack.clients.sqs,
      dlqUrl: stack.resources.deadLetterQueueUrl,
      exportQueueUrl: stack.resources.exportQueueUrl,
      pollIntervalMs: 100,
    });
    expect(redrive).toMatchObject({ toMove: 0, moved: 0, status: 'EMPTY' });
  });

  it('queued beside healthy exports anyway: dead-lettered alone at once, not retryable, and again at once after a redrive', async () => {
    const before = (await stack.readRecords('marketing')).length;
    const messages = ['q-a', EMOJI_ID, 'q-b', 'q-c'].map((profileId) =>
      exportMessage({ profileId, document: { person: { name: { lastName: 'Queued' } } } }),
    );
    await stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.resources.exportQueueUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.body,
          MessageGroupId: m.groupId,
          MessageDeduplicationId: m.deduplicationId,
        })),
      }),
    );
    await waitFor('the dead letter', async () => (await stack.queueDepth('dlq')) === 1, {
      timeoutMs: 30_000,
    });
    await stack.waitForIdle({ timeoutMs: 30_000 });

    const delivered = (await stack.readRecords('marketing')).slice(before);
    expect(delivered.map((r) => r.partitionKey).sort()).toEqual(['q-a', 'q-b', 'q-c']);
    const [letter] = await receiveAll(stack.resources.deadLetterQueueUrl);
    const parsed = parseExportMessageBody(letter?.Body ?? '');
    expect(parsed.ok && parsed.message.profileId).toBe(EMOJI_ID);
    expect(readDeadLetterReason(letter?.MessageAttributes)).toMatchObject({
      errorCode: 'InvalidRecord',
      retryable: false,
      attempts: 1,
      errorMessage: expect.stringMatching(/260 UTF-16 code units/),
    });

    // A redrive leaves it where it is: retrying cannot help it.
    const skipped = await redriveDeadLetters({
      sqs: stack.clients.sqs,
      dlqUrl: stack.resources.deadLetterQueueUrl,
      exportQueueUrl: stack.resources.exportQueueUrl,
      pollIntervalMs: 100,
    });
    expect(skipped).toMatchObject({ moved: 0, skipped: 1, status: 'EMPTY' });
    expect(await stack.queueDepth('dlq')).toBe(1);

    // Moved anyway (--include-non-retryable), the export function dead-letters it again at once.
    const redrive = await redriveDeadLetters({
      sqs: stack.clients.sqs,
      dlqUrl: stack.resources.deadLetterQueueUrl,
      exportQueueUrl: stack.resources.exportQueueUrl,
      includeNonRetryable: true,
      pollIntervalMs: 100,
    });
    expect(redrive).toMatchObject({ moved: 1, status: 'COMPLETED' });
    await waitFor('dead-lettered again', async () => (await stack.queueDepth('dlq')) === 1, {
      timeoutMs: 30_000,
    });
    await stack.waitForIdle({ timeoutMs: 30_000 });
    expect(await stack.queueDepth('export')).toBe(0);
    expect((await stack.readRecords('marketing')).length).toBe(before + 3);
    const [again] = await receiveAll(stack.resources.deadLetterQueueUrl);
    expect(again?.MessageId).not.toBe(letter?.MessageId);
    expect(readDeadLetterReason(again?.MessageAttributes)).toMatchObject({
      errorCode: 'InvalidRecord',
      attempts: 1,
    });
  });
});
