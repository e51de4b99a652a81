/**
 * One batch of DynamoDB JSON as a Lambda event carries it, written by a writer that bypasses the
 * profile writer: hostile records go to the rejects queue with their code and field, the others
 * are queued in order, and the batch never fails.
 */
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportMessageSchema, readExportMessage } from '../../../core/export-message.js';
import { decideBatch } from '../../../lambdas/decide/decide-batch.js';
import { compiledConfig, SEG, streamRecord } from '../../helpers/factories.js';
import { logRecorder, metricRecorder } from '../../helpers/recorders.js';

const EXPORTS = 'https://sqs.local/000000000000/export.fifo';
const REJECTS = 'https://sqs.local/000000000000/rejects';
const sqs = mockClient(SQSClient);
let bodies: { queue: string; body: string }[] = [];

beforeEach(() => {
  sqs.reset();
  bodies = [];
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    const entries = input.Entries ?? [];
    for (const e of entries) bodies.push({ queue: input.QueueUrl as string, body: e.MessageBody as string });
    return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })) };
  });
});

/** An INSERT whose new image is raw DynamoDB JSON: a member of DeLorean, plus `attributes` as written. */
function insert(profileId: string, attributes: Record<string, AttributeValue>): DynamoDBRecord {
  return streamRecord({
    eventName: 'INSERT',
    dynamodb: {
      NewImage: {
        profileId: { S: profileId },
        segmentMembership: {
          M: {
            ups: {
              M: {
                [SEG.delorean]: {
                  M: { status: { S: 'realized' }, lastQualificationTime: { S: '2022-01-11T21:24:39Z' } },
                },
              },
            },
          },
        },
        ...attributes,
      },
    },
  });
}

function nested(levels: number): AttributeValue {
  let value: AttributeValue = { S: 'deep' };
  for (let i = 0; i < levels; i++) value = { M: { firstName: value } };
  return value;
}

describe('decideBatch() on records from any writer', () => {
  it('queues every value type exactly, rejects hostile records with their field, and goes on in order', async () => {
    const records = [
      insert('big-number', {
        person: { M: { name: { M: { firstName: { N: '12345678901234567890123' } } } } },
      }),
      insert('too-deep', { person: { M: { name: nested(40) } } }),
      insert('sets-and-bytes', {
        person: { M: { name: { M: { firstName: { SS: ['b', 'a'] }, lastName: { B: 'aGVsbG8=' } } } } },
      }),
      insert('bad-number', { person: { M: { name: { M: { lastName: { N: 'twelve' } } } } } }),
      insert('empty-map', { person: { M: { name: { M: { firstName: { M: {} } } } } } }),
    ];
    const metrics = metricRecorder();

    const result = await decideBatch(records, {
      compiled: compiledConfig(),
      sqs: new SQSClient({ region: 'us-east-1' }),
      exportQueueUrl: EXPORTS,
      rejectsQueueUrl: REJECTS,
      metrics,
      logger: logRecorder(),
      now: () => 1_700_000_001_000,
      sendOptions: { sleep: async () => undefined, maxAttempts: 2 },
    });

    expect(result.batchItemFailures).toEqual([]);
    const exported = bodies
      .filter((b) => b.queue === EXPORTS)
      .map((b) => exportMessageSchema.parse(readExportMessage(b.body)));
    expect(exported.map((m) => [m.profileId, m.documentJson.slice(0, 60)])).toEqual([
      ['big-number', '{"person":{"name":{"firstName":12345678901234567890123}},"se'],
      ['sets-and-bytes', '{"person":{"name":{"firstName":["a","b"],"lastName":"aGVsbG8'],
      ['empty-map', '{"person":{"name":{"firstName":{}}},"segmentMembership":{"up'],
    ]);
    const rejects = bodies.filter((b) => b.queue === REJECTS).map((b) => JSON.parse(b.body));
    expect(rejects).toEqual([
      expect.objectContaining({
        code: 'INVALID_RECORD',
        field: `dynamodb.NewImage.person.name${'.firstName'.repeat(30)}`,
        reason: expect.stringContaining("nested deeper than DynamoDB's 32 levels"),
        record: records[1],
      }),
      expect.objectContaining({
        code: 'INVALID_RECORD',
        field: 'dynamodb.NewImage.person.name.lastName',
        reason: expect.stringContaining('N must be a decimal number'),
        record: records[3],
      }),
    ]);
    expect(metrics.totals.get('Rejects')).toBe(2);
  });
});
