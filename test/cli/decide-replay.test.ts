/**
 * `decide replay`'s parts on mocked clients: the failure record, the range read, and the replay's
 * rule that a failure message goes only when its whole range was decided and queued.
 */

import { BatchGetItemCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { catchUpRecord } from '../../cli/decide/catch-up.js';
import {
  compareSequenceNumbers,
  parseDecideFailure,
  tableOfStreamArn,
} from '../../cli/decide/failure-message.js';
import { foreignStream, replayDecideFailures } from '../../cli/decide/replay.js';
import { RangeLostError, readStreamRange } from '../../cli/decide/stream-range.js';
import { FakeQueue, installFakeSqs } from '../helpers/fake-sqs.js';

const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/profiles/stream/2026-12-01T00:00:00.000';
const streamsMock = mockClient(DynamoDBStreamsClient);
const sqsMock = mockClient(SQSClient);
const dynamoMock = mockClient(DynamoDBClient);
const dynamo = new DynamoDBClient({ region: 'us-east-1' });
const streams = new DynamoDBStreamsClient({ region: 'us-east-1' });
const sqs = new SQSClient({ region: 'us-east-1' });

function failureBody(start: string, end: string, streamArn = STREAM): string {
  return JSON.stringify({
    requestContext: {
      requestId: 'r',
      functionArn: 'arn:f',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 11,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-01T00:00:00.000Z',
    DDBStreamBatchInfo: {
      shardId: 'shardId-1',
      startSequenceNumber: start,
      endSequenceNumber: end,
      approximateArrivalOfFirstRecord: '2026-12-01T00:00:00.000Z',
      approximateArrivalOfLastRecord: '2026-12-01T00:00:01.000Z',
      batchSize: 2,
      streamArn,
    },
  });
}

const record = (sequence: string, id: string) => ({
  eventID: `ev-${sequence}`,
  eventName: 'MODIFY' as const,
  dynamodb: {
    SequenceNumber: sequence,
    ApproximateCreationDateTime: new Date(1_700_000_000_000),
    Keys: { profileId: { S: id } },
    NewImage: { profileId: { S: id }, blob: { B: new Uint8Array([1, 2]) } },
  },
});

beforeEach(() => {
  streamsMock.reset();
  sqsMock.reset();
  dynamoMock.reset();
});

describe('parseDecideFailure()', () => {
  it("reads Lambda's on-failure record of a stream batch", () => {
    const parsed = parseDecideFailure(failureBody('100', '200'));

    expect(parsed.ok && parsed.failure.DDBStreamBatchInfo).toMatchObject({
      shardId: 'shardId-1',
      startSequenceNumber: '100',
      endSequenceNumber: '200',
      streamArn: STREAM,
    });
  });

  it('says why a body is not one', () => {
    expect(parseDecideFailure('nope')).toEqual({ ok: false, problem: 'the body is not JSON' });
    expect(parseDecideFailure('{}')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/DDBStreamBatchInfo/),
    });
  });
});

describe('tableOfStreamArn() and compareSequenceNumbers()', () => {
  it('reads the table of a stream ARN', () => {
    expect(tableOfStreamArn(STREAM)).toBe('profiles');
  });

  it('compares sequence numbers as integers, whatever their lengths', () => {
    expect(compareSequenceNumbers('99', '100')).toBeLessThan(0);
    expect(compareSequenceNumbers('000100', '100')).toBe(0);
    expect(compareSequenceNumbers('400000000000000000001', '400000000000000000000')).toBeGreaterThan(0);
  });
});

describe('readStreamRange()', () => {
  const range = {
    shardId: 'shardId-1',
    startSequenceNumber: '100',
    endSequenceNumber: '300',
    streamArn: STREAM,
  };

  it('reads from the start sequence number up to the end one, in the shape of the Lambda event', async () => {
    streamsMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streamsMock
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [record('100', 'p-1')], NextShardIterator: 'it-2' })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [record('300', 'p-2'), record('400', 'p-3')], NextShardIterator: 'it-3' });

    const records = await readStreamRange({ streams, range });

    expect(streamsMock.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toEqual({
      StreamArn: STREAM,
      ShardId: 'shardId-1',
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: '100',
    });
    expect(records.map((r) => r.dynamodb?.SequenceNumber)).toEqual(['100', '300']);
    expect(records[0]).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventSourceARN: STREAM,
      awsRegion: 'us-east-1',
      dynamodb: { ApproximateCreationDateTime: 1_700_000_000, NewImage: { blob: { B: 'AQI=' } } },
    });
  });

  it('names the loss and the backfill remedy, with its limit, when the range is past the retention', async () => {
    streamsMock
      .on(GetShardIteratorCommand)
      .rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} }));

    const attempt = readStreamRange({ streams, range });

    await expect(attempt).rejects.toThrow(RangeLostError);
    await expect(attempt).rejects.toThrow(/past the stream's 24-hour retention/);
    await expect(attempt).rejects.toThrow(/backfill --destination ID --yes/);
    await expect(attempt).rejects.toThrow(/exited a mapped segment in this range is not re-exported/);
  });

  it('refuses a range whose end is never reached', async () => {
    streamsMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streamsMock.on(GetRecordsCommand).resolves({ Records: [record('100', 'p-1')] });

    await expect(readStreamRange({ streams, range })).rejects.toThrow(
      /was not read to its end: 1 record\(s\) read/,
    );
  });
});

describe('replayDecideFailures()', () => {
  let failures: FakeQueue;

  beforeEach(() => {
    failures = new FakeQueue(
      'http://sqs/decide-failures',
      'arn:aws:sqs:us-east-1:123456789012:decide-failures',
    );
    installFakeSqs(sqsMock, [failures]);
    streamsMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streamsMock.on(GetRecordsCommand).resolves({ Records: [record('100', 'p-1'), record('200', 'p-2')] });
    // The profiles are as the range left them: nothing to catch up.
    dynamoMock.on(BatchGetItemCommand).resolves({
      Responses: {
        profiles: ['p-1', 'p-2'].map((id) => ({ profileId: { S: id }, blob: { B: new Uint8Array([1, 2]) } })),
      },
    });
  });

  const options = (
    decide: (event: DynamoDBStreamEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>,
  ) => ({
    sqs,
    streams,
    failuresQueueUrl: failures.url,
    profileTableName: 'profiles',
    dynamo,
    loadDecide: async () => decide,
    retryDelayMs: 1,
  });

  it('runs the range through the decide function and deletes the failure message', async () => {
    const id = failures.put(failureBody('100', '200'));
    const seen: string[][] = [];

    const outcomes = await replayDecideFailures(
      options(async (event) => {
        seen.push(event.Records.map((r) => r.dynamodb?.SequenceNumber ?? ''));
        return { batchItemFailures: [] };
      }),
    );

    expect(outcomes).toEqual([expect.objectContaining({ messageId: id, status: 'replayed', records: 2 })]);
    expect(seen).toEqual([['100', '200']]);
    expect(failures.messages).toHaveLength(0);
  });

  it('retries from the record the function could not queue, as Lambda does', async () => {
    failures.put(failureBody('100', '200'));
    const seen: string[][] = [];
    let calls = 0;

    await replayDecideFailures(
      options(async (event) => {
        seen.push(event.Records.map((r) => r.dynamodb?.SequenceNumber ?? ''));
        calls += 1;
        return { batchItemFailures: calls === 1 ? [{ itemIdentifier: '200' }] : [] };
      }),
    );

    expect(seen).toEqual([['100', '200'], ['200']]);
    expect(failures.messages).toHaveLength(0);
  });

  it('queues the current state of a profile that changed since the range, after the range', async () => {
    failures.put(failureBody('100', '200'));
    dynamoMock.on(BatchGetItemCommand).resolves({
      Responses: {
        profiles: [
          { profileId: { S: 'p-1' }, blob: { B: new Uint8Array([1, 2]) } },
          { profileId: { S: 'p-2' }, blob: { B: new Uint8Array([9]) } },
        ],
      },
    });
    const seen: DynamoDBStreamEvent['Records'][] = [];

    const [outcome] = await replayDecideFailures(
      options(async (event) => {
        seen.push(event.Records);
        return { batchItemFailures: [] };
      }),
    );

    expect(outcome).toMatchObject({
      status: 'replayed',
      detail: expect.stringMatching(/then the current state of 1 profile/),
    });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual([
      expect.objectContaining({
        eventID: 'replay-current:ev-200',
        eventName: 'MODIFY',
        dynamodb: expect.objectContaining({
          OldImage: { profileId: { S: 'p-2' }, blob: { B: 'AQI=' } },
          NewImage: { profileId: { S: 'p-2' }, blob: { B: 'CQ==' } },
        }),
      }),
    ]);
    expect(failures.messages).toHaveLength(0);
  });

  it('keeps the failure message when the function keeps failing', async () => {
    failures.put(failureBody('100', '200'));

    const [outcome] = await replayDecideFailures(
      options(async () => ({ batchItemFailures: [{ itemIdentifier: '100' }] })),
    );

    expect(outcome).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/the failure message is kept$/),
    });
    expect(failures.visible()).toHaveLength(1);
  });

  it("refuses a range of the same table name in another account's stream", async () => {
    dynamoMock
      .on(DescribeTableCommand)
      .resolves({ Table: { TableArn: 'arn:aws:dynamodb:us-east-1:999999999999:table/profiles' } });
    failures.put(failureBody('100', '200'));

    const [outcome] = await replayDecideFailures({
      ...options(async () => ({ batchItemFailures: [] })),
      dryRun: true,
    });

    expect(outcome).toMatchObject({
      status: 'refused',
      detail: `the range is of stream ${STREAM}, not of this deployment's profile table arn:aws:dynamodb:us-east-1:999999999999:table/profiles: replay it with that pipeline's --stack`,
    });
  });

  it("refuses a range of another table's stream and changes nothing on a dry run", async () => {
    failures.put(failureBody('100', '200', STREAM.replace('table/profiles', 'table/staging-profiles')));
    failures.put(failureBody('100', '200'));
    const decide = async (): Promise<{ batchItemFailures: [] }> => {
      throw new Error('a dry run decides nothing');
    };

    const outcomes = await replayDecideFailures({ ...options(decide), dryRun: true });

    expect(outcomes.map((o) => o.status)).toEqual(['refused', 'planned']);
    expect(outcomes[0]?.detail).toMatch(
      /of table "staging-profiles"'s stream, not of this deployment's profile table "profiles"/,
    );
    expect(failures.visible()).toHaveLength(2);
  });
});

describe('catchUpRecord()', () => {
  const last = {
    eventID: 'ev-1',
    eventName: 'MODIFY' as const,
    dynamodb: {
      SequenceNumber: '1',
      Keys: { profileId: { S: 'p' } },
      NewImage: { profileId: { S: 'p' }, tags: { SS: ['a', 'b'] } },
    },
  };

  it('is nothing when the item is as the range left it (set members in any order)', () => {
    expect(catchUpRecord(last, { tags: { SS: ['b', 'a'] }, profileId: { S: 'p' } })).toBeUndefined();
  });

  it('is a REMOVE when the profile was deleted since', () => {
    expect(catchUpRecord(last, undefined)).toMatchObject({
      eventName: 'REMOVE',
      dynamodb: { OldImage: last.dynamodb.NewImage, NewImage: undefined },
    });
  });

  it('is an INSERT when the range ended with a delete and the profile was written again', () => {
    expect(catchUpRecord({ ...last, eventName: 'REMOVE' }, { profileId: { S: 'p' } })?.eventName).toBe(
      'INSERT',
    );
  });
});

describe('foreignStream()', () => {
  it("accepts a stream of the deployment's table, by ARN, else by name", () => {
    expect(
      foreignStream(STREAM, 'profiles', 'arn:aws:dynamodb:us-east-1:123456789012:table/profiles'),
    ).toBeUndefined();
    expect(foreignStream(STREAM, 'profiles', undefined)).toBeUndefined();
    expect(foreignStream(STREAM, 'other', undefined)).toMatch(/of table "profiles"'s stream/);
  });
});
