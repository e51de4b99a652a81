/**
 * End to end on the local stack, for a writer that bypasses the profile writer (the plain DynamoDB
 * client: PutItem, UpdateItem with SET and REMOVE — no `__kd`, so every export is unversioned):
 * through a Kinesis outage the export function moves each export to the DLQ on its last attempt with
 * its failure attached; some profiles change again and are delivered before the redrive; then the
 * DLQ is redriven — with SQS's own StartMessageMoveTask called directly (the AWS-native redrive), or
 * with `dlq redrive`. None is lost, each profile's redriven exports arrive in order, the stale ones
 * are skipped, and the last record of every profile in its stream is its current state.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationRecord } from '../../adapters/kinesis-reader.js';
import { deliveredKey } from '../../adapters/state-table.js';
import { redriveDeadLetters } from '../../cli/dlq/redrive.js';
import { readDeadLetterReason } from '../../core/dead-letter.js';
import { exportMessageSchema, readExportMessage } from '../../core/export-message.js';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { config as configOf, destination, membership, SEG } from '../helpers/factories.js';
import { startTestStack } from '../helpers/stack.js';

const SEGMENT = SEG.john;
const config = configOf({
  destinations: [
    destination({ streamName: 'raw-redrive', segments: [SEGMENT], attributes: ['person.name.lastName'] }),
  ],
});

let stack: LocalStack;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  stack = await startTestStack({
    config,
    functionKinesisEndpoint: async (emulator) => {
      proxy = await startFaultProxy({ target: emulator });
      return proxy.url;
    },
    // Three attempts in seconds; long enough that a slow invocation on a busy machine still moves it.
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 3_000 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
});

/** A plain PutItem, as an upstream service would write it: no `__kd`. */
async function putProfile(profileId: string, lastName: string): Promise<void> {
  await stack.clients.dynamodb.send(
    new PutItemCommand({
      TableName: stack.resources.profileTableName,
      Item: marshall({
        profileId,
        person: { name: { firstName: 'Jane', lastName } },
        identityMap: { email: [{ id: `${profileId}@example.com` }] },
        segmentMembership: {
          ups: { [SEGMENT]: membership('realized', '2024-01-01T00:00:00Z') },
        },
      }),
    }),
  );
}

/** UpdateItem SET of the mapped attribute. */
async function setLastName(profileId: string, lastName: string): Promise<void> {
  await stack.clients.dynamodb.send(
    new UpdateItemCommand({
      TableName: stack.resources.profileTableName,
      Key: { profileId: { S: profileId } },
      UpdateExpression: 'SET person.#name.lastName = :v',
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: { ':v': { S: lastName } },
    }),
  );
}

/** UpdateItem REMOVE of the mapped attribute: exported without it. */
async function removeLastName(profileId: string): Promise<void> {
  await stack.clients.dynamodb.send(
    new UpdateItemCommand({
      TableName: stack.resources.profileTableName,
      Key: { profileId: { S: profileId } },
      UpdateExpression: 'REMOVE person.#name.lastName',
      ExpressionAttributeNames: { '#name': 'name' },
    }),
  );
}

async function currentLastName(profileId: string): Promise<string | undefined> {
  const { Item } = await stack.clients.dynamodb.send(
    new GetItemCommand({
      TableName: stack.resources.profileTableName,
      Key: { profileId: { S: profileId } },
      ConsistentRead: true,
    }),
  );
  return Item?.person?.M?.name?.M?.lastName?.S;
}

function lastNameOf(record: DestinationRecord | undefined): string | undefined {
  return (record?.data as { person?: { name?: { lastName?: string } } } | undefined)?.person?.name?.lastName;
}

const dlqHolds = (n: number) =>
  waitFor(`${n} exports in the DLQ`, async () => (await stack.queueDepth('dlq')) === n, {
    timeoutMs: 90_000,
    intervalMs: 200,
  });

/** What `aws sqs receive-message --message-attribute-names All` shows, without consuming the messages. */
async function peekDeadLetters() {
  const seen = new Map<
    string,
    { body: string; attributes: ReturnType<typeof readDeadLetterReason>; raw: unknown }
  >();
  const handles: string[] = [];
  for (let empty = 0; empty < 3; ) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) empty++;
    for (const m of Messages) {
      handles.push(m.ReceiptHandle ?? '');
      seen.set(m.MessageId ?? '', {
        body: m.Body ?? '',
        attributes: readDeadLetterReason(m.MessageAttributes),
        raw: m.MessageAttributes,
      });
    }
  }
  for (let i = 0; i < handles.length; i += 10) {
    await stack.clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: stack.resources.deadLetterQueueUrl,
        Entries: handles
          .slice(i, i + 10)
          .map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })),
      }),
    );
  }
  return [...seen.values()];
}

async function queueArn(url: string): Promise<string> {
  const { Attributes } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

/**
 * The outage and the redrive for `ids`: `twice` change twice during the outage, `changedAfter` change
 * again (p: SET, the other: REMOVE) once the stream is back and before the redrive.
 */
async function outageThenRedrive(
  ids: readonly string[],
  twice: ReadonlySet<string>,
  changedAfter: readonly [set: string, removed: string],
  redrive: () => Promise<void>,
): Promise<void> {
  const before = (await stack.readRecords('marketing')).length;
  for (const id of ids) await putProfile(id, `${id}-v1`);
  await stack.waitForIdle({ timeoutMs: 60_000 });
  expect((await stack.readRecords('marketing')).length).toBe(before + ids.length);

  // Outage: every put fails; each export is moved to the DLQ on its third attempt.
  proxy?.setFault({ kind: 'http-error', status: 503 });
  for (const id of ids) await setLastName(id, `${id}-v2`);
  await dlqHolds(ids.length);
  // Written once the first is in the DLQ: the SQS emulator does not hold a FIFO group back (see the
  // dlq redrive test); on AWS a group's next message is handed out only after the previous one left.
  for (const id of twice) await setLastName(id, `${id}-v3`);
  const deadLettered = ids.length + twice.size;
  await dlqHolds(deadLettered);
  await stack.waitForIdle({ timeoutMs: 60_000 });

  // Each dead letter explains itself: the failure is attached as message attributes.
  const letters = await peekDeadLetters();
  expect(letters).toHaveLength(deadLettered);
  for (const letter of letters) {
    const message = exportMessageSchema.parse(readExportMessage(letter.body));
    expect(message.profileVersion).toBe(0);
    expect(letter.attributes).toMatchObject({
      destinationId: 'marketing',
      exportId: message.exportId,
      attempts: 3,
    });
    expect(letter.attributes?.errorCode).toMatch(/\S/);
    expect(letter.attributes?.lastFailureAt).toBeGreaterThanOrEqual(
      letter.attributes?.firstFailureAt ?? Number.NaN,
    );
    expect(letter.raw).toMatchObject({ MovedBy: { StringValue: 'export-function' } });
  }
  const deadIds = new Map<string, string[]>();
  for (const letter of letters) {
    const m = exportMessageSchema.parse(readExportMessage(letter.body));
    deadIds.set(m.profileId, [...(deadIds.get(m.profileId) ?? []), m.exportId]);
  }

  // The stream is back; two profiles change again and are delivered before the redrive.
  proxy?.setFault({ kind: 'none' });
  const [setAfter, removedAfter] = changedAfter;
  await setLastName(setAfter, `${setAfter}-v4`);
  await removeLastName(removedAfter);
  await stack.waitForIdle({ timeoutMs: 60_000 });
  const beforeRedrive = (await stack.readRecords('marketing')).length;
  expect(beforeRedrive).toBe(before + ids.length + 2);

  await redrive();
  await waitFor('DLQ redriven', async () => (await stack.queueDepth('dlq')) === 0, { timeoutMs: 30_000 });
  await stack.waitForIdle({ timeoutMs: 60_000 });
  expect(await stack.queueDepth('export')).toBe(0);

  const records = await stack.readRecords('marketing');
  const redriven = records.slice(beforeRedrive);
  for (const id of ids) {
    const own = records.filter((r) => r.partitionKey === id);
    // The last record of every profile is its current state.
    expect(lastNameOf(own.at(-1)), id).toBe(await currentLastName(id));
    const delivered = redriven.filter((r) => r.partitionKey === id).map(lastNameOf);
    if (changedAfter.includes(id)) {
      // Superseded by the newer delivered export: skipped, never written over it — and not lost: the
      // ledger retired them.
      expect(delivered, id).toEqual([]);
      const { Item } = await stack.clients.dynamodb.send(
        new GetItemCommand({
          TableName: stack.resources.stateTableName,
          Key: { pk: { S: deliveredKey('marketing', id) } },
          ConsistentRead: true,
        }),
      );
      const retired = (Item?.retired?.L ?? []).map((v) => v.S);
      for (const exportId of deadIds.get(id) ?? []) expect(retired, id).toContain(exportId);
    } else {
      // None lost: every dead-lettered export delivered, in the profile's order.
      expect(delivered, id).toEqual(twice.has(id) ? [`${id}-v2`, `${id}-v3`] : [`${id}-v2`]);
    }
  }
}

describe('outage and redrive for a writer without the profile writer', () => {
  it('redriven with StartMessageMoveTask directly: none lost, order kept, the last record is the current state', async () => {
    const ids = ['raw-0', 'raw-1', 'raw-2', 'raw-3', 'raw-4'];
    await outageThenRedrive(ids, new Set(['raw-0', 'raw-1']), ['raw-0', 'raw-3'], async () => {
      await stack.clients.sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: await queueArn(stack.resources.deadLetterQueueUrl),
          DestinationArn: await queueArn(stack.resources.exportQueueUrl),
        }),
      );
    });
  });

  it('redriven with dlq redrive: the same', async () => {
    const ids = ['cli-0', 'cli-1', 'cli-2', 'cli-3'];
    await outageThenRedrive(ids, new Set(['cli-1', 'cli-2']), ['cli-2', 'cli-0'], async () => {
      const result = await redriveDeadLetters({
        sqs: stack.clients.sqs,
        dlqUrl: stack.resources.deadLetterQueueUrl,
        exportQueueUrl: stack.resources.exportQueueUrl,
        pollIntervalMs: 100,
      });
      expect(result).toMatchObject({ mechanism: 'move-task', status: 'COMPLETED', failed: 0 });
    });
  });
});
