/**
 * The export function's attempt counter on DynamoDB Local (`StateTable.recordFailure`,
 * `failureAttempts`): one added per real attempt, atomically — twenty concurrent failures of one
 * life count twenty — none for a failure that was not an attempt, and a new life of the message (a
 * redriven copy, with a new SQS message id) counts from zero again.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FailureInput, StateTable } from '../../adapters/state-table.js';
import { createDynamoDbClient } from '../../local/clients.js';
import type { Emulator } from '../../local/emulators.js';
import { fileTableName, testDynamoDb } from '../helpers/stack.js';

const STATE_TABLE = fileTableName('state');
let emulator: Emulator;
let client: DynamoDBClient;
let table: StateTable;

beforeAll(async () => {
  emulator = await testDynamoDb();
  client = createDynamoDbClient(emulator.endpoint);
  await client.send(
    new CreateTableCommand({
      TableName: STATE_TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  table = new StateTable({ client, tableName: STATE_TABLE });
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

const failure = (overrides: Partial<FailureInput> = {}): FailureInput => ({
  exportId: 'e-1',
  destinationId: 'marketing',
  profileId: 'p-1',
  code: 'ResourceNotFoundException',
  message: 'Stream not found',
  lastFailureAt: 1_000,
  messageId: 'life-1',
  attempt: true,
  ...overrides,
});

describe('StateTable.recordFailure()', () => {
  it('counts each real attempt once, keeps the first failure time, and counts nothing for a failure that was not an attempt', async () => {
    const first = await table.recordFailure(failure({ lastFailureAt: 1_000 }));
    const held = await table.recordFailure(
      failure({ code: 'PrecedingExportFailed', attempt: false, lastFailureAt: 2_000 }),
    );
    const second = await table.recordFailure(failure({ lastFailureAt: 3_000 }));

    expect([first.attempts, held.attempts, second.attempts]).toEqual([1, 1, 2]);
    expect(second).toMatchObject({
      firstFailureAt: 1_000,
      lastFailureAt: 3_000,
      code: 'ResourceNotFoundException',
    });
    expect(await table.failureAttempts([{ exportId: 'e-1', messageId: 'life-1' }])).toEqual(
      new Map([['e-1', { attempts: 2, code: 'ResourceNotFoundException', message: 'Stream not found' }]]),
    );
  });

  it('neither loses nor doubles an increment when failures of one life are recorded concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        table.recordFailure(failure({ exportId: 'e-2', messageId: 'life-a' })),
      ),
    );

    expect(results.map((r) => r.attempts).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('starts the count again for a new life of the message (a redriven copy), and reads only the current life', async () => {
    for (let i = 0; i < 3; i++)
      await table.recordFailure(failure({ exportId: 'e-3', messageId: 'before-redrive' }));

    const redriven = await table.recordFailure(failure({ exportId: 'e-3', messageId: 'after-redrive' }));

    expect(redriven.attempts).toBe(1);
    expect(await table.failureAttempts([{ exportId: 'e-3', messageId: 'before-redrive' }])).toEqual(
      new Map(),
    );
    expect(
      (await table.failureAttempts([{ exportId: 'e-3', messageId: 'after-redrive' }])).get('e-3')?.attempts,
    ).toBe(1);
  });
});
