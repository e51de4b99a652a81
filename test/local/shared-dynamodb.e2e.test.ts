/**
 * A local stack on the e2e project's shared DynamoDB Local (test/setup/shared-dynamodb.ts): it starts
 * no JVM, its tables carry its prefix, it refuses to restart what other stacks use, and it takes its
 * tables — only its own — with it when it stops.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbClient } from '../../local/clients.js';
import { connectDynamoDb } from '../../local/dynamodb-shared.js';
import { EmulatorStartError } from '../../local/errors.js';
import type { LocalStack } from '../../local/stack.js';
import { startTestStack } from '../helpers/stack.js';

const endpoint = inject('sharedDynamoDbEndpoint');
const client = createDynamoDbClient(endpoint);
let stack: LocalStack;

async function tableNames(): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    names.push(...(page.TableNames ?? []));
    start = page.LastEvaluatedTableName;
  } while (start !== undefined);
  return names;
}

beforeAll(async () => {
  stack = await startTestStack({ runPipeline: false });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  client.destroy();
});

describe('a local stack on a shared DynamoDB Local', () => {
  it('uses the shared endpoint and names its tables with a prefix of its own', async () => {
    expect(stack.endpoints.dynamodb).toBe(endpoint);
    const prefix = `t${process.pid}-1-`;
    expect(stack.resources.profileTableName).toBe(`${prefix}profiles`);
    expect(stack.resources.stateTableName).toBe(`${prefix}kinesis-destination-state`);
    expect(await tableNames()).toEqual(
      expect.arrayContaining([stack.resources.profileTableName, stack.resources.stateTableName]),
    );
    expect(stack.env.PROFILE_TABLE_NAME).toBe(stack.resources.profileTableName);
    expect(stack.resourceNames).toMatchObject({
      profileTable: stack.resources.profileTableName,
      stateTable: stack.resources.stateTableName,
      exportQueue: 'kinesis-destination-export.fifo',
    });
  });

  it('refuses to restart the DynamoDB Local other stacks use, and says how to get one to restart', async () => {
    await expect(stack.restartDynamoDb()).rejects.toThrow(
      /is shared with other stacks and is not restarted by one of them: start the stack without sharedDynamoDb/,
    );
  });

  it('deletes its own tables when it stops and leaves the DynamoDB Local running', async () => {
    await stack.stop();
    const after = await tableNames();
    expect(after).not.toContain(stack.resources.profileTableName);
    expect(after).not.toContain(stack.resources.stateTableName);
    // Other files' tables come and go meanwhile; none of this stack's remains.
    expect(after.filter((n) => n.startsWith(`t${process.pid}-1-`))).toEqual([]);
    await expect(client.send(new ListTablesCommand({ Limit: 1 }))).resolves.toBeDefined();
  });
});

describe('connectDynamoDb()', () => {
  it('names an endpoint that is not an http URL with a port', async () => {
    await expect(connectDynamoDb('localhost:8000')).rejects.toThrow(
      new EmulatorStartError(
        'the shared DynamoDB Local endpoint "localhost:8000" is not an http URL with a port, e.g. http://127.0.0.1:8000',
      ),
    );
  });

  it('says what to do when nothing answers', async () => {
    await expect(connectDynamoDb('http://127.0.0.1:9', { timeoutMs: 300 })).rejects.toThrow(
      'the shared DynamoDB Local at http://127.0.0.1:9 does not answer: start it first, or let the stack start its own (no sharedDynamoDb)',
    );
  });

  it('hands out the running one; its stop() leaves it running', async () => {
    const emulator = await connectDynamoDb(endpoint);
    expect(emulator).toMatchObject({ service: 'dynamodb', endpoint, port: Number(new URL(endpoint).port) });
    await emulator.stop();
    await expect(client.send(new ListTablesCommand({ Limit: 1 }))).resolves.toBeDefined();
  });
});
