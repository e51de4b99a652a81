/**
 * Property: whatever a stream record holds — any DynamoDB value type, malformed attribute values,
 * nesting beyond DynamoDB's 32 levels, numbers beyond a double, missing ids or images — the decide
 * function's plan gives every record a decision or a rejection (with a code, and the field for an
 * invalid record), never throws, and every export carries valid JSON the export queue accepts.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportMessageSchema, readExportMessage } from '../../../core/export-message.js';
import { parseJson } from '../../../core/json-text.js';
import { planExports, rejectBody } from '../../../lambdas/decide/plan-exports.js';
import { compiledConfig, SEG } from '../../helpers/factories.js';

const config = compiledConfig([
  { attributes: ['person.name.firstName', 'loyalty.points', 'tags', 'avatar'] },
  { id: 'analytics', segments: [SEG.john], attributes: ['person.name.lastName', 'tags'] },
]);

const decimal = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.bigInt({ min: -(10n ** 38n), max: 10n ** 38n }).map(String),
  fc.constantFrom('0.1000000000000000055511151231257827', '1E+125', '-1E-130', '+007.50', '.5', '1.'),
);
const base64 = fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));

/** Well-formed attribute values of every type, nested up to `depth` maps and lists. */
const attributeValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 8 }).map((S) => ({ S })),
    decimal.map((N) => ({ N })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
    base64.map((B) => ({ B })),
    fc.uint8Array({ maxLength: 8 }).map((B) => ({ B })),
    fc.uniqueArray(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 4 }).map((SS) => ({ SS })),
    fc.uniqueArray(decimal, { minLength: 1, maxLength: 4 }).map((NS) => ({ NS })),
    fc.uniqueArray(base64, { minLength: 1, maxLength: 3 }).map((BS) => ({ BS })),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }).map((M) => ({ M })),
    fc.array(tie('value'), { maxLength: 4 }).map((L) => ({ L })),
  ),
})).value;

function nestedBeyondLimit(levels: number): unknown {
  let value: unknown = { S: 'deep' };
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { M: { a: value } } : { L: [value] };
  return value;
}

/** Values no DynamoDB table holds, as a hostile or broken producer might send them. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    {},
    { S: 1 },
    { N: 'NaN' },
    { N: 'abc' },
    { B: '***' },
    { NULL: false },
    { S: 'a', N: '1' },
    { X: 1 },
  ),
  fc.integer({ min: 33, max: 3_000 }).map(nestedBeyondLimit),
);

const entry = fc.record({
  M: fc.record({
    status: fc.oneof(
      fc.constantFrom('realized', 'existing', 'exited').map((S) => ({ S })),
      hostileValue,
    ),
    lastQualificationTime: fc.constantFrom({ S: '2022-01-11T21:24:39Z' }, { S: 'yesterday' }, { N: '1' }),
  }),
});

const image = fc.record(
  {
    profileId: fc.oneof(fc.constantFrom({ S: 'p-1' }, { S: 'p-2' }), hostileValue),
    person: fc.oneof(
      fc.record({
        M: fc.record({
          name: fc.record({ M: fc.dictionary(fc.constantFrom('firstName', 'lastName'), attributeValue) }),
        }),
      }),
      attributeValue,
    ),
    loyalty: fc.oneof(fc.record({ M: fc.record({ points: attributeValue }) }), attributeValue),
    tags: fc.oneof(attributeValue, hostileValue),
    avatar: attributeValue,
    identityMap: fc.oneof(
      fc.record({
        M: fc.dictionary(
          fc.constantFrom('ecid', 'phone', 'email'),
          fc.record({
            L: fc.array(fc.record({ M: fc.record({ id: fc.constantFrom({ S: 'a' }, { S: 'b' }) }) }), {
              maxLength: 3,
            }),
          }),
        ),
      }),
      hostileValue,
    ),
    segmentMembership: fc.oneof(
      fc.record({
        M: fc.record({
          ups: fc.record({ M: fc.dictionary(fc.constantFrom(SEG.delorean, SEG.john, 'other'), entry) }),
        }),
      }),
      hostileValue,
    ),
    __kd: fc.oneof(
      fc.record({
        M: fc.record({
          v: fc.nat().map((n) => ({ N: String(n) })),
          w: fc.record({
            L: fc.array(fc.constantFrom({ S: 'tags' }, { S: 'person.name.firstName' }), { maxLength: 2 }),
          }),
          at: fc.constant({ N: '1' }),
        }),
      }),
      hostileValue,
    ),
    unmapped: hostileValue,
  },
  { requiredKeys: [] },
);

const streamRecord = fc
  .record(
    {
      eventID: fc.oneof(fc.uuid(), fc.constant(undefined)),
      eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE', 'MODIFY', 'UPDATE'),
      SequenceNumber: fc.oneof(fc.nat().map(String), fc.constant(undefined)),
      OldImage: fc.oneof(image, fc.constant(undefined)),
      NewImage: fc.oneof(image, fc.constant(undefined)),
      ApproximateCreationDateTime: fc.oneof(fc.double(), fc.constant(undefined)),
    },
    { requiredKeys: ['eventName'] },
  )
  .map(
    (r) =>
      ({
        eventID: r.eventID,
        eventName: r.eventName,
        dynamodb: {
          SequenceNumber: r.SequenceNumber,
          ApproximateCreationDateTime: r.ApproximateCreationDateTime,
          OldImage: r.OldImage,
          NewImage: r.NewImage,
        },
      }) as unknown as DynamoDBRecord,
  );

describe('planExports(): decide never fails a batch because of one record', () => {
  it('gives every record a decision or a rejection, never throws, and queues only valid exports', () => {
    fc.assert(
      fc.property(fc.array(streamRecord, { minLength: 1, maxLength: 8 }), (records) => {
        const plan = planExports(records, config, () => 1_700_000_000_000);

        // Every record without a rejection was evaluated (a decision per destination: export or not).
        const rejected = new Set(plan.rejects.map((r) => r.index));
        expect(plan.evaluated).toBeGreaterThanOrEqual(records.length - rejected.size);
        for (const reject of plan.rejects) {
          expect(reject.message.code).toMatch(/^[A-Z_]+$/);
          expect(reject.message.reason.length).toBeGreaterThan(0);
          if (reject.message.code === 'INVALID_RECORD') expect(reject.message.field).toBeTruthy();
          expect(() => JSON.parse(rejectBody(reject.message))).not.toThrow();
        }
        for (const { export: queued } of plan.exports) {
          const message = exportMessageSchema.parse(readExportMessage(queued.body));
          expect(() => parseJson(message.documentJson)).not.toThrow();
        }
        // Order: exports and rejects come in record order.
        const indexes = plan.exports.map((e) => e.index);
        expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      }),
      { numRuns: 400 },
    );
  });

  it('decides a well-formed record of every value type: an export or a no-export, never a rejection', () => {
    const wellFormed = fc.record({
      profileId: fc.constant({ S: 'p-1' }),
      tags: attributeValue,
      avatar: attributeValue,
      loyalty: fc.record({ M: fc.record({ points: attributeValue }) }),
      segmentMembership: fc.constant({
        M: {
          ups: {
            M: {
              [SEG.delorean]: {
                M: { status: { S: 'realized' }, lastQualificationTime: { S: '2022-01-11T21:24:39Z' } },
              },
            },
          },
        },
      }),
    });
    fc.assert(
      fc.property(wellFormed, wellFormed, (before, after) => {
        const record = {
          eventID: 'e-1',
          eventName: 'MODIFY',
          dynamodb: { SequenceNumber: '1', OldImage: before, NewImage: after },
        } as unknown as DynamoDBRecord;

        const plan = planExports([record], config, () => 1);

        expect(plan.rejects).toEqual([]);
        expect(plan.evaluated).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});
