import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CATALOG, destination, member, SEG, seg } from '../core/fixtures.js';

const EMAIL = 'john.doe@acme.com';
const IDENTITY = 'ecid-14575006536349286404619648085736425115';

function context(name: string): Context {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
}

describe('logs of a run', () => {
  const output: string[] = [];
  const sqs = mockClient(SQSClient);
  const kinesis = mockClient(KinesisClient);
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const env = {
    KD_CONFIG_JSON: JSON.stringify({
      destinations: [destination({ attributes: ['personalEmail.address'] })],
      segmentCatalog: CATALOG,
    }),
    EXPORT_QUEUE_URL: 'https://sqs.local/000000000000/export.fifo',
    REJECTS_QUEUE_URL: 'https://sqs.local/000000000000/rejects',
    DLQ_URL: 'https://sqs.local/000000000000/export-dlq.fifo',
    STATE_TABLE_NAME: 'state',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
  };

  beforeAll(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }
  });
  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('hold no email address or identity from the payloads, though they describe every step', async () => {
    const queued: string[] = [];
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      if (input.QueueUrl === env.EXPORT_QUEUE_URL)
        queued.push(...(input.Entries ?? []).map((e) => e.MessageBody as string));
      return {
        Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
        Failed: [],
      };
    });
    dynamodb.on(BatchGetCommand).resolves({ Responses: {} });
    dynamodb.on(BatchWriteCommand).resolves({});
    dynamodb.on(UpdateCommand).resolves({});
    let call = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      call++;
      // The first entry is refused for good, so failure paths log too.
      const records = (input.Records ?? []).map((_, i) =>
        call === 1 && i === 0
          ? { ErrorCode: 'KMSAccessDeniedException', ErrorMessage: 'no access' }
          : { SequenceNumber: '1', ShardId: 's' },
      );
      return { FailedRecordCount: call === 1 ? 1 : 0, Records: records };
    });
    const profile = (id: string) =>
      member(
        { [SEG.delorean]: seg('realized') },
        { profileId: id, personalEmail: { address: EMAIL }, identityMap: { ecid: [{ id: IDENTITY }] } },
      );
    const poison = { ...profile('p-3'), identityMap: { ecid: [{ id: IDENTITY, primary: 'not-a-boolean' }] } };
    const decideEvent: DynamoDBStreamEvent = {
      Records: [profile('p-1'), profile('p-2'), poison].map((image, i) => ({
        eventID: `e-${i}`,
        eventName: 'INSERT',
        dynamodb: {
          SequenceNumber: String(i),
          ApproximateCreationDateTime: 1_700_000_000,
          NewImage: marshall(image) as never,
        },
      })),
    };

    const decide = await import('../../../lambdas/decide/handler.js');
    await decide.handler(decideEvent, context('decide'));
    const exporter = await import('../../../lambdas/export/handler.js');
    const exportEvent: SQSEvent = {
      Records: queued.map((body, i) => ({
        messageId: `m-${i}`,
        receiptHandle: 'r',
        body,
        attributes: {
          ApproximateReceiveCount: '3',
          SentTimestamp: '1',
          SenderId: 's',
          ApproximateFirstReceiveTimestamp: '1',
          MessageGroupId: `g-${i}`,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:export.fifo',
        awsRegion: 'us-east-1',
      })),
    };
    await exporter.handler(exportEvent, context('export'));

    const logs = output.join('');
    expect(queued.join('')).toContain(EMAIL);
    expect(logs).toContain('record rejected');
    expect(logs).toContain('export failed; SQS hands it out again');
    expect(logs).not.toContain('delivery ledger unreadable');
    expect(logs).not.toContain(EMAIL);
    expect(logs).not.toContain(IDENTITY);
  });
});
