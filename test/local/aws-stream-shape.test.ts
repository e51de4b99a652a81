import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { toAwsStreamShape } from '../../local/event-sources/aws-stream-shape.js';

describe('toAwsStreamShape()', () => {
  it("rewrites the SDK's bytes as base64 and DynamoDB Local's empty map {} as {M: {}}, as AWS delivers them", () => {
    const local = {
      eventID: 'e-1',
      eventName: 'MODIFY',
      dynamodb: {
        SequenceNumber: '1',
        Keys: { profileId: { S: 'p-1' } },
        NewImage: {
          profileId: { S: 'p-1' },
          avatar: { B: new Uint8Array([104, 101, 108, 108, 111]) },
          keys: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
          empty: {},
          nested: {
            M: { inner: {}, list: { L: [{}, { B: new Uint8Array() }] }, n: { N: '12345678901234567890' } },
          },
        },
        OldImage: { profileId: { S: 'p-1' }, prefs: {} },
      },
    } as unknown as DynamoDBRecord;

    expect(toAwsStreamShape(local).dynamodb).toEqual({
      SequenceNumber: '1',
      Keys: { profileId: { S: 'p-1' } },
      NewImage: {
        profileId: { S: 'p-1' },
        avatar: { B: 'aGVsbG8=' },
        keys: { BS: ['AQ==', 'AgM='] },
        empty: { M: {} },
        nested: {
          M: { inner: { M: {} }, list: { L: [{ M: {} }, { B: '' }] }, n: { N: '12345678901234567890' } },
        },
      },
      OldImage: { profileId: { S: 'p-1' }, prefs: { M: {} } },
    });
  });

  it('leaves a record already in AWS shape as it is', () => {
    const aws = {
      eventID: 'e-1',
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: '1', NewImage: { a: { B: 'AQ==' }, m: { M: {} }, s: { SS: ['x'] } } },
    } as unknown as DynamoDBRecord;

    expect(toAwsStreamShape(aws)).toEqual(aws);
  });

  it('keeps every attribute of an image it rewrites, one named __proto__ included, as data', () => {
    const image = JSON.parse('{"__proto__":{"S":"x"},"before":{"S":"b"},"empty":{},"after":{"N":"1"}}');
    const local = { eventID: 'e-1', dynamodb: { NewImage: image } } as unknown as DynamoDBRecord;

    const shaped = toAwsStreamShape(local).dynamodb?.NewImage as Record<string, unknown>;

    expect(Object.keys(shaped)).toEqual(['__proto__', 'before', 'empty', 'after']);
    expect(Object.getOwnPropertyDescriptor(shaped, '__proto__')?.value).toEqual({ S: 'x' });
    expect(Object.getPrototypeOf(shaped)).toBe(Object.prototype);
    expect(shaped.empty).toEqual({ M: {} });
  });
});
