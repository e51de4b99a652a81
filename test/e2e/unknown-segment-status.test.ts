/**
 * End to end on the local stack: a segment status the source page does not name (`"pending"`)
 * blocks only what it concerns. A raw writer (plain `PutItem`, bypassing the profile writer, which
 * refuses such a status) stores it beside a real qualification:
 * - on a segment no destination maps, of another merge policy: the mapped qualification is exported
 *   to its destination, and nothing is rejected;
 * - on a segment only `eu` maps: `marketing` still exports its qualification, and only `eu`'s export
 *   is rejected, with UNKNOWN_SEGMENT_STATUS and the field.
 */
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { startTestStack } from '../helpers/stack.js';

const DELOREAN = 'd1e0f2a3-6f00-4c2b-9d5e-de10aea0c4a5'; // mapped to marketing, mp-default
const NEWSLETTER_EU = 'e8f9a0b1-c2d3-4e5f-a6b7-c8d9e0f1a2b3'; // mapped to eu, mp-eu
const LOYALTY = '0c5e8f3a-1b2d-4c6e-8f0a-2b4d6f8a0c1e'; // mapped by nobody, mp-loyalty

const catalogEntry = (id: string, name: string, mergePolicyId: string) => ({
  id,
  name,
  mergePolicyId,
  createdAt: 1_648_553_325_000,
  updatedAt: 1_648_553_330_000,
});
const destination = (id: string, streamName: string, segment: string) => ({
  id,
  name: `Amazon Kinesis – ${id}`,
  region: 'us-east-1',
  streamName,
  includeSegmentNames: false,
  includeSegmentTimestamps: false,
  segments: [{ id: segment, mappingCreatedAt: 1_649_856_570_000, mappingUpdatedAt: 1_649_856_570_000 }],
  attributes: ['person.name.lastName'],
});

const config = parseConfig({
  destinations: [
    destination('marketing', 'status-marketing', DELOREAN),
    destination('eu', 'status-eu', NEWSLETTER_EU),
  ],
  segmentCatalog: [
    catalogEntry(DELOREAN, 'Customers with DeLorean Cars', 'mp-default'),
    catalogEntry(NEWSLETTER_EU, 'Newsletter subscribers', 'mp-eu'),
    catalogEntry(LOYALTY, 'Loyalty members', 'mp-loyalty'),
  ],
});

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    config,
    decideMapping: { maxBatchingWindowMs: 100 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const entry = (status: string, lastQualificationTime: string) => ({ status, lastQualificationTime });

/** A raw write of a profile with these segment entries (the profile writer would refuse "pending"). */
async function putRaw(profileId: string, ups: Record<string, ReturnType<typeof entry>>): Promise<void> {
  await stack.clients.dynamodb.send(
    new PutItemCommand({
      TableName: stack.resources.profileTableName,
      Item: marshall({ profileId, person: { name: { lastName: 'McFly' } }, segmentMembership: { ups } }),
    }),
  );
}

async function rejects(): Promise<Record<string, unknown>[]> {
  const { Messages = [] } = await stack.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.resources.rejectsQueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 0,
    }),
  );
  // With VisibilityTimeout 0, the emulator may hand out one message more than once in a receive.
  const unique = new Map(Messages.map((m) => [m.MessageId, m]));
  return [...unique.values()].map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
}

async function exportsOf(destinationId: string, profileId: string) {
  return (await stack.readRecords(destinationId)).filter((r) => r.partitionKey === profileId);
}

describe('a segment status the source page does not name, end to end', () => {
  it('on a segment no destination maps: the mapped change of the same write is exported, nothing is rejected', async () => {
    await putRaw('status-unmapped', {
      [LOYALTY]: entry('pending', '2022-01-10T00:00:00Z'),
      [DELOREAN]: entry('realized', '2022-01-11T21:24:39Z'),
    });
    await waitFor('the export', async () => (await exportsOf('marketing', 'status-unmapped')).length > 0, {
      timeoutMs: 40_000,
    });
    await stack.waitForIdle({ timeoutMs: 40_000 });

    const [record, ...more] = await exportsOf('marketing', 'status-unmapped');
    expect(more).toEqual([]);
    expect(record?.data).toEqual({
      person: { name: { lastName: 'McFly' } },
      segmentMembership: {
        ups: { [DELOREAN]: { lastQualificationTime: '2022-01-11T21:24:39Z', status: 'realized' } },
      },
      identityMap: {},
    });
    expect(await exportsOf('eu', 'status-unmapped')).toEqual([]);
    expect(await stack.queueDepth('rejects')).toBe(0);
    expect(await stack.queueDepth('dlq')).toBe(0);
  });

  it('on a segment another destination maps: only that destination’s export is rejected, with the reason', async () => {
    await putRaw('status-mapped', {
      [NEWSLETTER_EU]: entry('pending', '2022-01-10T00:00:00Z'),
      [DELOREAN]: entry('realized', '2022-01-11T21:24:39Z'),
    });
    await waitFor('the reject', async () => (await stack.queueDepth('rejects')) === 1, { timeoutMs: 40_000 });
    await stack.waitForIdle({ timeoutMs: 40_000 });

    expect(await exportsOf('marketing', 'status-mapped')).toHaveLength(1);
    expect(await exportsOf('eu', 'status-mapped')).toEqual([]);
    expect(await rejects()).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_SEGMENT_STATUS',
        destinationId: 'eu',
        field: `dynamodb.NewImage.segmentMembership.ups.${NEWSLETTER_EU}.status`,
        reason: expect.stringContaining('"pending": not a status the source page names'),
      }),
    ]);

    // Once the writer stores a status the page names, the EU qualification is exported.
    await stack.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: stack.resources.profileTableName,
        Key: { profileId: { S: 'status-mapped' } },
        UpdateExpression: 'SET segmentMembership.ups.#eu.#status = :realized',
        ExpressionAttributeNames: { '#eu': NEWSLETTER_EU, '#status': 'status' },
        ExpressionAttributeValues: { ':realized': { S: 'realized' } },
      }),
    );
    await waitFor('the EU export', async () => (await exportsOf('eu', 'status-mapped')).length > 0, {
      timeoutMs: 40_000,
    });
    await stack.waitForIdle({ timeoutMs: 40_000 });
    expect(await exportsOf('eu', 'status-mapped')).toHaveLength(1);
    expect(await exportsOf('marketing', 'status-mapped')).toHaveLength(1);
  });
});
