import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CATALOG,
  destination,
  exportQueueRecord,
  member,
  membership,
  SEG,
  sqsEvent,
  streamRecord,
} from '../../helpers/factories.js';

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
        { [SEG.delorean]: membership('realized') },
        { profileId: id, personalEmail: { address: EMAIL }, identityMap: { ecid: [{ id: IDENTITY }] } },
      );
    const poison = { ...profile('p-3'), identityMap: { ecid: [{ id: IDENTITY, primary: 'not-a-boolean' }] } };
    const decideEvent: DynamoDBStreamEvent = {
      Records: [profile('p-1'), profile('p-2'), poison].map((image) => streamRecord({ newImage: image })),
    };

    const decide = await import('../../../lambdas/decide/handler.js');
    await decide.handler(decideEvent, context('decide'));
    const exporter = await import('../../../lambdas/export/handler.js');
    // The messages the decide function queued, on their last receive.
    const exportEvent = sqsEvent(queued.map((body) => exportQueueRecord({ body, receiveCount: 3 })));
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
