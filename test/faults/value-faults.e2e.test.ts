/**
 * Fault suite, values from any writer: profiles written with the plain DynamoDB client (PutItem,
 * UpdateItem) whose mapped attribute takes every DynamoDB value type in turn — numbers beyond 2^53,
 * many decimals, sets, binaries, empty maps, 32 levels of nesting, items near the 400 KB limit —
 * next to hostile records: images the schema refuses, export documents over 1 MiB, and records no
 * DynamoDB table can produce (nesting beyond 32 levels, malformed attribute values), injected into
 * the decide function's batches as a broken producer would send them. Nothing may be lost, nothing
 * may hold the shard back (no failed decide invocation, nothing on the decide failures queue), every
 * export must carry its values exactly, and every rejected record must be in the rejects queue with
 * its code and field path.
 */
import { type AttributeValue, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHandler } from '../../local/event-sources/invoke.js';
import type { LocalStack } from '../../local/stack.js';
import { segment } from '../helpers/factories.js';
import { startTestStack } from '../helpers/stack.js';
import { profileIds, report, settle, tally } from './harness.js';
import { FAULT_SEGMENT, faultConfig, peekQueue, tokenOf } from './ledger.js';

const BIG_SEGMENTS = 600;

function config() {
  return faultConfig({
    includeSegmentNames: true,
    extraCatalog: Array.from({ length: BIG_SEGMENTS }, (_, i) =>
      segment({
        id: `big-${i}`,
        name: `${i} ${'n'.repeat(1_800)}`,
        createdAt: 1640000000000,
        updatedAt: 1640000000000,
      }),
    ),
  });
}

function nested(levels: number, leaf: AttributeValue): AttributeValue {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { M: { a: value } };
  return value;
}

/** A mapped value of each type, and the JSON text its export must hold, exactly. */
const VALUES: ((i: number) => [AttributeValue, string])[] = [
  (i) => [{ N: `1234567890123456789012${i % 10}` }, `1234567890123456789012${i % 10}`],
  () => [{ N: '0.1000000000000000055511151231257827' }, '0.1000000000000000055511151231257827'],
  (i) => [{ N: `-${i}.5` }, `-${i}.5`],
  (i) => [{ SS: ['zeta', `v${i}`, 'alpha'] }, `["alpha","v${i}","zeta"]`],
  () => [{ NS: ['10', '9007199254740993', '-1.25'] }, '[-1.25,10,9007199254740993]'],
  () => [{ BS: [Buffer.from([2]), Buffer.from([1, 255])] }, '["Af8=","Ag=="]'],
  () => [{ B: Buffer.from('hello') }, '"aGVsbG8="'],
  () => [{ M: {} }, '{}'],
  () => [{ L: [{ N: '1' }, { S: 'two' }, { M: {} }, { NULL: true }] }, '[1,"two",{},null]'],
  () => [{ BOOL: false }, 'false'],
  () => [{ NULL: true }, 'null'],
  // person, name, lastName and 29 maps: DynamoDB's 32 levels, the item being the first.
  () => [nested(29, { S: 'deepest' }), `${'{"a":'.repeat(29)}"deepest"${'}'.repeat(29)}`],
  (i) => (i % 20 === 0 ? [{ S: 'x'.repeat(380_000) }, `"${'x'.repeat(380_000)}"`] : [{ S: 'Doe' }, '"Doe"']),
];

const valueWritten = (i: number, k: number) =>
  (VALUES[(i + k) % VALUES.length] as (i: number) => [AttributeValue, string])(i);

const realized = (id = FAULT_SEGMENT): Record<string, AttributeValue> => ({
  [id]: { M: { status: { S: 'realized' }, lastQualificationTime: { S: '2022-01-11T21:24:39Z' } } },
});

/** Records no DynamoDB table produces, each with the field its reject must name. */
function hostileRecord(i: number): { record: DynamoDBRecord; field: RegExp } {
  const profileId = `hostile-${i}`;
  const shapes: [AttributeValue | Record<string, unknown>, RegExp][] = [
    [nested(40, { S: 'too deep' }), /^dynamodb\.NewImage\.person\.name\.lastName(\.a)+$/],
    [{ N: 'NaN' }, /^dynamodb\.NewImage\.person\.name\.lastName$/],
    [{}, /^dynamodb\.NewImage\.person\.name\.lastName$/],
    [{ B: '%%%' }, /^dynamodb\.NewImage\.person\.name\.lastName$/],
    [{ S: 'a', N: '1' }, /^dynamodb\.NewImage\.person\.name\.lastName$/],
    [{ L: [{ SS: [1] }] }, /^dynamodb\.NewImage\.person\.name\.lastName\[0\]$/],
  ];
  const [lastName, field] = shapes[i % shapes.length] as [AttributeValue, RegExp];
  return {
    field,
    record: {
      eventID: `injected-${i}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        SequenceNumber: `0-injected-${i}`,
        ApproximateCreationDateTime: Date.now() / 1000,
        Keys: { profileId: { S: profileId } },
        NewImage: {
          profileId: { S: profileId },
          person: { M: { name: { M: { lastName } } } },
          personalEmail: { M: { address: { S: tokenOf(profileId, 0) } } },
          segmentMembership: { M: { ups: { M: realized() } } },
        } as unknown as Record<string, LambdaAttributeValue>,
      },
    },
  };
}

const HOSTILE = 36;
const hostile = Array.from({ length: HOSTILE }, (_, i) => hostileRecord(i));
const toInject = hostile.map((h) => h.record);
const decideFailures = { invocations: 0, failed: 0, errors: [] as string[] };

/**
 * Interleaves the injected records with the first batches' own records (one after each, the rest at
 * the end), as a broken producer's records would arrive; counts failed invocations.
 */
function injecting(
  handler: LambdaHandler<DynamoDBStreamEvent, unknown>,
): LambdaHandler<DynamoDBStreamEvent, unknown> {
  return async (event, context) => {
    decideFailures.invocations++;
    const records: DynamoDBRecord[] = [];
    for (const record of event.Records) {
      records.push(record);
      const extra = toInject.shift();
      if (extra !== undefined) records.push(extra);
    }
    if (event.Records.length > 0) records.push(...toInject.splice(0));
    try {
      return await handler({ Records: records }, context);
    } catch (error) {
      decideFailures.failed++;
      decideFailures.errors.push(
        error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : String(error),
      );
      throw error;
    }
  };
}

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    config: config(),
    timings: { exportVisibilityTimeoutSeconds: 4, exportTimeoutMs: 2_000 },
    decideMapping: { maxBatchingWindowMs: 200 },
    wrapHandlers: { decide: injecting },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function inParallel(
  ids: readonly string[],
  write: (id: string, i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      await write(ids[i] as string, i);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

describe('fault suite: values from any writer', () => {
  it('exports every value type exactly, rejects hostile records with their field, loses nothing and never holds the shard', async () => {
    const table = stack.resources.profileTableName;
    const db = stack.clients.dynamodb;
    const ids = profileIds('value', 130);
    const poison = profileIds('poison', 20);
    const oversize = profileIds('oversize', 3);

    for (let k = 0; k < 3; k++) {
      await inParallel(ids, async (id, i) => {
        const [lastName] = valueWritten(i, k);
        const email: AttributeValue = { S: tokenOf(id, k) };
        if (k === 0) {
          return db.send(
            new PutItemCommand({
              TableName: table,
              Item: {
                profileId: { S: id },
                person: { M: { name: { M: { lastName } } } },
                personalEmail: { M: { address: email } },
                segmentMembership: { M: { ups: { M: realized() } } },
              },
            }),
          );
        }
        return db.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { profileId: { S: id } },
            UpdateExpression: 'SET person.#n.lastName = :v, personalEmail.address = :e',
            ExpressionAttributeNames: { '#n': 'name' },
            ExpressionAttributeValues: { ':v': lastName, ':e': email },
          }),
        );
      });
    }
    // Images the schema refuses: a segment status that is not one of the page's.
    await inParallel(poison, (id) =>
      db.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            profileId: { S: id },
            personalEmail: { M: { address: { S: tokenOf(id, 0) } } },
            segmentMembership: {
              M: {
                ups: {
                  M: {
                    [FAULT_SEGMENT]: { M: { status: { S: 'qualified' }, lastQualificationTime: { S: 'x' } } },
                  },
                },
              },
            },
          },
        }),
      ),
    );
    // Export documents over 1 MiB: a member of every long-named segment of the mapped merge policy.
    const bigUps: Record<string, AttributeValue> = realized();
    for (let s = 0; s < BIG_SEGMENTS; s++) Object.assign(bigUps, realized(`big-${s}`));
    await inParallel(oversize, async (id) => {
      await db.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            profileId: { S: id },
            personalEmail: { M: { address: { S: tokenOf(id, 0) } } },
            segmentMembership: { M: { ups: { M: realized() } } },
          },
        }),
      );
      await db.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { profileId: { S: id } },
          UpdateExpression: 'SET segmentMembership.ups = :u, personalEmail.address = :e',
          ExpressionAttributeValues: { ':u': { M: bigUps }, ':e': { S: tokenOf(id, 1) } },
        }),
      );
    });
    await settle(stack, 150_000);

    const expected = new Map<string, number[]>();
    for (const id of ids) expected.set(id, [0, 1, 2]);
    for (const id of [...poison, ...hostile.map((h) => String(h.record.dynamodb?.Keys?.profileId?.S))])
      expected.set(id, [0]);
    for (const id of oversize) expected.set(id, [0, 1]);
    const result = await tally(stack, 'faults', expected);

    // Exact: every delivered value-profile record holds its value's JSON text as written.
    let inexact = 0;
    for (const record of await stack.readRecords('faults')) {
      const match = /^value-(\d+)$/.exec(record.partitionKey);
      const k = /\.w(\d+)@example\.com/.exec(record.text)?.[1];
      if (match === null || k === undefined) continue;
      const [, json] = valueWritten(Number(match[1]), Number(k));
      if (!record.text.startsWith(`{"person":{"name":{"lastName":${json}}},`)) inexact++;
    }
    // Every reject carries a code and the field at fault.
    const rejects = (await peekQueue(stack.clients.sqs, stack.resources.rejectsQueueUrl, 60)).map(
      (m) => JSON.parse(m.body) as { code: string; field?: string; eventId?: string },
    );
    const withoutField = rejects.filter((r) => typeof r.field !== 'string' || r.field.length === 0).length;
    const wrongField = hostile.filter(
      (h) => !rejects.some((r) => r.eventId === h.record.eventID && h.field.test(r.field ?? '')),
    ).length;
    const decideFailuresQueued = await stack.queueDepth('decideFailures');
    report('records with every value type and hostile shapes', result, {
      inexact,
      rejectsWithoutField: withoutField,
      hostileWithWrongField: wrongField,
      injected: HOSTILE - toInject.length,
      decideInvocations: decideFailures.invocations,
      decideInvocationsFailed: decideFailures.failed,
      decideErrors: decideFailures.errors,
      decideFailuresQueued,
    });

    expect(result.lost, `lost: ${result.lostSample.join(', ')}`).toBe(0);
    expect(toInject).toHaveLength(0);
    expect(result.delivered).toBe(ids.length * 3 + oversize.length);
    expect(result.rejected).toBe(poison.length + HOSTILE + oversize.length);
    expect(result.withoutReason).toBe(0);
    expect(result.orderViolations).toBe(0);
    expect(inexact).toBe(0);
    expect(withoutField).toBe(0);
    expect(wrongField).toBe(0);
    expect(rejects.filter((r) => r.code === 'PAYLOAD_TOO_LARGE').map((r) => r.field)).toEqual(
      oversize.map(() => 'segmentMembership'),
    );
    expect(decideFailures.failed, decideFailures.errors.join('; ')).toBe(0);
    expect(decideFailuresQueued).toBe(0);
  }, 300_000);
});
