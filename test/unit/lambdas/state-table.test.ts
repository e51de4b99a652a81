import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../adapters/backfill-checkpoints.js';
import { StateTable } from '../../../adapters/state-table.js';
import {
  deliveredKey,
  destinationKey,
  failureKey,
  ledgerTtl,
  pairMarkerKey,
} from '../../../core/state-records.js';

const documents = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({});
const AT = 1_700_000_000_000;
const table = () => new StateTable({ client, tableName: 'state', now: () => AT, sleep: async () => {} });

beforeEach(() => documents.reset());

describe('StateTable', () => {
  it('reads ledger entries strongly consistent and retries the keys DynamoDB leaves unprocessed', async () => {
    const [a, b] = [deliveredKey('d', 'p1'), deliveredKey('d', 'p2')];
    documents
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { state: [{ pk: a, pending: ['e1'], retired: [] }] },
        UnprocessedKeys: { state: { Keys: [{ pk: b }] } },
      })
      .resolves({ Responses: { state: [{ pk: b, v: 3 }] } });

    const entries = await table().ledgerEntries([a, b, a]);

    expect(entries).toEqual(
      new Map([
        [a, { pending: ['e1'], retired: [] }],
        [b, { pending: [], retired: [], version: 3 }],
      ]),
    );
    const calls = documents.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.state);
    expect(calls).toEqual([
      { Keys: [{ pk: a }, { pk: b }], ConsistentRead: true },
      { Keys: [{ pk: b }], ConsistentRead: true },
    ]);
  });

  it('writes whole ledger entries with the time of the write and the ledger’s expiry', async () => {
    documents.on(BatchWriteCommand).resolves({});

    await table().writeLedgerEntries(
      new Map([[deliveredKey('d', 'p'), { pending: ['e2'], retired: ['e1'] }]]),
    );

    expect(documents.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.state).toEqual([
      {
        PutRequest: {
          Item: { pk: 'delivered#d#p', pending: ['e2'], retired: ['e1'], at: AT, ttl: ledgerTtl(AT) },
        },
      },
    ]);
  });

  it('leaves an open window alone when it is already open for longer', async () => {
    documents
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));

    await expect(table().openBackfillWindow('d', AT + 1)).resolves.toBeUndefined();
    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({ pk: destinationKey('d') });
  });

  it('reads failure records by export id, each parsed or named as malformed', async () => {
    documents.on(BatchGetCommand).resolves({
      Responses: {
        state: [
          {
            pk: failureKey('e1'),
            destinationId: 'd',
            profileId: 'p',
            code: 'InternalFailure',
            message: 'boom',
            attempts: 3,
            firstFailureAt: AT,
            lastFailureAt: AT,
          },
          { pk: failureKey('e2'), code: 'InternalFailure' },
        ],
      },
    });

    const records = await table().failureRecords(['e1', 'e2', 'e3']);

    expect(records.get('e1')).toMatchObject({ ok: true, record: { exportId: 'e1', attempts: 3 } });
    expect(records.get('e2')).toMatchObject({ ok: false, problem: expect.stringContaining('failure#e2') });
    expect(records.has('e3')).toBe(false);
  });
});

describe('CheckpointStore', () => {
  const store = () => new CheckpointStore(client, 'state', () => AT);
  const pair = { destinationId: 'd', segmentId: 's', runId: 'deploy-1' };

  it('counts a pair as completed by its marker, else by its own completed checkpoint', async () => {
    documents.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({
      Item: input.Key.pk === pairMarkerKey(pair) ? { pk: input.Key.pk, ...pair, completedAt: AT } : undefined,
    }));

    expect(await store().completedPairs([pair, { ...pair, segmentId: 'other', runId: 'deploy-2' }])).toEqual(
      new Set(['deploy-1']),
    );
    expect(documents.commandCalls(GetCommand).every((c) => c.args[0].input.ConsistentRead === true)).toBe(
      true,
    );
  });

  it('writes a completion marker without expiry', async () => {
    documents.on(PutCommand).resolves({});

    await store().markPairsCompleted([pair]);

    expect(documents.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      pk: 'backfill#done#d#s',
      ...pair,
      completedAt: AT,
    });
  });

  it('reports superseded when another run owns the checkpoint', async () => {
    documents
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));

    const saved = await store().saveSegment({ pk: 'backfill#d#s', runId: 'run-1' }, '0', {
      done: true,
      scanned: 1,
      queued: 1,
    });

    expect(saved).toBe('superseded');
    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'runId = :runId',
      ExpressionAttributeValues: { ':runId': 'run-1' },
    });
  });
});
