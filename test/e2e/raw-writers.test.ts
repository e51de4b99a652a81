/**
 * End to end with writers that bypass the profile writer: the plain DynamoDB client (PutItem,
 * UpdateItem with SET and REMOVE, DeleteItem) writes every DynamoDB value type, and the records read
 * back from Kinesis hold the documented mapping — exact digits, base64, sorted sets, empty maps —
 * the same as on AWS. Also: `profile put`'s path writes a number beyond 2^53 exactly.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocuments } from '../../adapters/json-file.js';
import type { DestinationRecord } from '../../adapters/kinesis-reader.js';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { ExactNumber } from '../../core/exact-number.js';
import type { LocalStack } from '../../local/stack.js';
import { config as configOf, destination, SEG } from '../helpers/factories.js';
import { exportsOf as exportsIn, startTestStack } from '../helpers/stack.js';

const SEGMENT = SEG.john;
const OTHER = SEG.delorean;

const config = configOf({
  destinations: [
    destination({
      id: 'raw',
      region: 'us-east-1',
      segments: [SEGMENT, OTHER],
      attributes: ['person.name.firstName', 'loyalty', 'avatar', 'tags', 'prefs'],
    }),
  ],
});

const entry = (status: string, time = '2022-01-11T21:24:39Z'): AttributeValue => ({
  M: { status: { S: status }, lastQualificationTime: { S: time } },
});

let stack: LocalStack;
let table: string;

beforeAll(async () => {
  stack = await startTestStack({ config, decideMapping: { maxBatchingWindowMs: 100 } });
  table = stack.resources.profileTableName;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function settled(): Promise<void> {
  await stack.waitForIdle({ timeoutMs: 50_000 });
}

function exportsOf(profileId: string): Promise<DestinationRecord[]> {
  return exportsIn(stack, 'raw', profileId);
}

async function update(
  profileId: string,
  input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
): Promise<void> {
  await stack.clients.dynamodb.send(
    new UpdateItemCommand({ TableName: table, Key: { profileId: { S: profileId } }, ...input }),
  );
}

describe('writers that bypass the profile writer, end to end', () => {
  it('exports every DynamoDB value type by the documented mapping, exactly', async () => {
    await stack.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          profileId: { S: 'raw-types' },
          person: { M: { name: { M: { firstName: { S: 'Émile' } } } } },
          loyalty: {
            M: {
              points: { N: '12345678901234567890123' },
              ratio: { N: '0.1000000000000000055511151231257827' },
              gold: { BOOL: true },
              expires: { NULL: true },
              history: { L: [{ N: '1' }, { S: 'two' }, { M: {} }] },
              scores: { NS: ['10', '9', '-1.5'] },
            },
          },
          avatar: { B: Buffer.from('hello') },
          tags: { SS: ['vip', 'early', 'Zulu'] },
          prefs: { M: {} },
          keys: { BS: [Buffer.from([2]), Buffer.from([1, 255])] },
          segmentMembership: { M: { ups: { M: { [SEGMENT]: entry('realized') } } } },
        },
      }),
    );
    await settled();

    const [record, ...more] = await exportsOf('raw-types');
    expect(more).toEqual([]);
    // Numbers keep their digits in the record's text (a map's keys come in DynamoDB's order).
    expect(record?.text).toContain('"points":12345678901234567890123');
    expect(record?.text).toContain('"ratio":0.1000000000000000055511151231257827');
    expect(record?.data).toEqual({
      avatar: 'aGVsbG8=',
      loyalty: {
        points: new ExactNumber('12345678901234567890123'),
        ratio: new ExactNumber('0.1000000000000000055511151231257827'),
        gold: true,
        expires: null,
        history: [1, 'two', {}],
        scores: [-1.5, 9, 10],
      },
      person: { name: { firstName: 'Émile' } },
      prefs: {},
      tags: ['Zulu', 'early', 'vip'],
      segmentMembership: {
        ups: { [SEGMENT]: { lastQualificationTime: '2022-01-11T21:24:39Z', status: 'realized' } },
      },
      identityMap: {},
    });
    expect(Object.keys(record?.data as object)).toEqual([
      'avatar',
      'loyalty',
      'person',
      'prefs',
      'tags',
      'segmentMembership',
      'identityMap',
    ]);
    expect(await stack.queueDepth('rejects')).toBe(0);
  });

  it('sees a set that changes (UpdateItem SET) and not one written again in another order', async () => {
    await stack.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          profileId: { S: 'raw-sets' },
          tags: { SS: ['a', 'b'] },
          segmentMembership: { M: { ups: { M: { [SEGMENT]: entry('realized') } } } },
        },
      }),
    );
    await update('raw-sets', {
      UpdateExpression: 'SET tags = :t',
      ExpressionAttributeValues: { ':t': { SS: ['b', 'a', 'c'] } },
    });
    await update('raw-sets', {
      UpdateExpression: 'SET tags = :t',
      ExpressionAttributeValues: { ':t': { SS: ['c', 'a', 'b'] } },
    });
    // A change of an unmapped attribute: a stream record, nothing mapped changed.
    await update('raw-sets', {
      UpdateExpression: 'SET unmapped = :u',
      ExpressionAttributeValues: { ':u': { SS: ['x'] } },
    });
    await settled();

    const records = await exportsOf('raw-sets');
    expect(records.map((r) => (r.data as { tags: unknown }).tags)).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });

  it('exports a removed segment entry as exited (UpdateItem REMOVE), and an empty namespace as no identity change', async () => {
    await stack.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          profileId: { S: 'raw-exit' },
          identityMap: { M: { ecid: { L: [{ M: { id: { S: 'e-1' } } }] } } },
          segmentMembership: {
            M: {
              ups: {
                M: { [SEGMENT]: entry('realized', '2022-01-02T23:37:33Z'), [OTHER]: entry('realized') },
              },
            },
          },
        },
      }),
    );
    await update('raw-exit', {
      UpdateExpression: 'SET identityMap.phone = :none',
      ExpressionAttributeValues: { ':none': { L: [] } },
    });
    await update('raw-exit', {
      UpdateExpression: 'REMOVE segmentMembership.ups.#s',
      ExpressionAttributeNames: { '#s': SEGMENT },
    });
    await settled();

    const records = await exportsOf('raw-exit');
    expect(records).toHaveLength(2);
    expect((records[1]?.data as { segmentMembership?: unknown } | undefined)?.segmentMembership).toEqual({
      ups: {
        [SEGMENT]: { lastQualificationTime: '2022-01-02T23:37:33Z', status: 'exited' },
        [OTHER]: { lastQualificationTime: '2022-01-11T21:24:39Z', status: 'realized' },
      },
    });
  });

  it('exports a deleted profile (DeleteItem) with its mapped segments exited', async () => {
    await stack.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          profileId: { S: 'raw-delete' },
          loyalty: { M: { points: { N: '9007199254740993' } } },
          segmentMembership: { M: { ups: { M: { [SEGMENT]: entry('existing') } } } },
        },
      }),
    );
    await stack.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { profileId: { S: 'raw-delete' } } }),
    );
    await settled();

    const records = await exportsOf('raw-delete');
    expect(records).toHaveLength(2);
    expect(records[1]?.text).toBe(
      `{"loyalty":{"points":9007199254740993},"segmentMembership":{"ups":{"${SEGMENT}":{"lastQualificationTime":"2022-01-11T21:24:39Z","status":"exited"}}},"identityMap":{}}`,
    );
  });

  it('leaves no stream record, so no export, for an overwrite that changes nothing', async () => {
    const item = {
      profileId: { S: 'raw-same' },
      tags: { SS: ['a'] },
      segmentMembership: { M: { ups: { M: { [SEGMENT]: entry('realized') } } } },
    };
    await stack.clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
    await stack.clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
    await settled();

    expect(await exportsOf('raw-same')).toHaveLength(1);
  });

  it('writes a number beyond 2^53 from a profile document exactly (profile put)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'raw-')), 'doc.json');
    writeFileSync(
      path,
      `{"profileId": "writer-big", "loyalty": {"points": 9007199254740993123}, "segmentMembership": {"ups": {"${SEGMENT}": {"status": "realized", "lastQualificationTime": "2022-01-11T21:24:39Z"}}}}`,
    );

    await writeProfiles(readDocuments(path, '--file'), { tableName: table, client: stack.clients.dynamodb });
    await settled();

    const { Item } = await stack.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { profileId: { S: 'writer-big' } } }),
    );
    expect(Item?.loyalty).toEqual({ M: { points: { N: '9007199254740993123' } } });
    const [record] = await exportsOf('writer-big');
    expect(record?.text).toContain('"loyalty":{"points":9007199254740993123}');
  });
});
