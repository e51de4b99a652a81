/**
 * The export handler's one deadline: Middy's early timeout answers with the batch's own deadline
 * answer (what is done, the rest as failures), never a whole-batch TimeoutError.
 */
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PIPELINE_SETTINGS } from '../../../core/pipeline-settings.js';
import { CATALOG, destination, exportQueueRecord } from '../../helpers/factories.js';

/** A context whose invocation ends `ms` from now (or at `deadline`). */
function contextEnding(ms: number, deadline = Date.now() + ms): Context {
  return {
    functionName: 'export',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:export',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/export',
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
}

describe('the export handler at its deadline', () => {
  const kinesis = mockClient(KinesisClient);
  const dynamodb = mockClient(DynamoDBDocumentClient);

  beforeAll(() => {
    const env = {
      KD_CONFIG_JSON: JSON.stringify({
        destinations: [destination(), destination({ id: 'sales' })],
        segmentCatalog: CATALOG,
      }),
      EXPORT_QUEUE_URL: 'https://sqs.local/000000000000/export.fifo',
      DLQ_URL: 'https://sqs.local/000000000000/export-dlq.fifo',
      STATE_TABLE_NAME: 'state',
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    };
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it("answers with Middy's early timeout: the put Kinesis accepted is done, the one still in flight is retried", async () => {
    dynamodb.on(BatchGetCommand).resolves({ Responses: {} });
    dynamodb.on(UpdateCommand).resolves({});
    // The other destination's call does not answer until the test releases it, after the handler has
    // answered: a handler that waited for it instead of its deadline would never answer (the test's
    // timeout fails it), with no clock read by the test.
    let release = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    kinesis.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommandInput) => {
      if (input.Records?.[0]?.PartitionKey === 'p-1')
        return { FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] };
      await stalled;
      throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    });
    const { handler } = await import('../../../lambdas/export/handler.js');
    const first = exportQueueRecord({ profileId: 'p-1' });
    const second = exportQueueRecord({ profileId: 'p-1' });
    const stuck = exportQueueRecord({ profileId: 'p-2', destinationId: 'sales' });

    const answer = await handler(
      { Records: [first, stuck, second] },
      contextEnding(PIPELINE_SETTINGS.export.answerEarlyMs + 300),
    );
    release();

    // p-1's first export is done (accepted, owing no ledger write); p-2's put was cut short by the
    // deadline, and p-1's second export was not reached.
    expect(answer).toEqual({
      batchItemFailures: [{ itemIdentifier: stuck.messageId }, { itemIdentifier: second.messageId }],
    });
  });

  it('answers each of two invocations running at once, with the same deadline, with its own batch', async () => {
    const { handler } = await import('../../../lambdas/export/handler.js');
    const deadline = Date.now() + PIPELINE_SETTINGS.export.answerEarlyMs + 300;
    const a = [
      exportQueueRecord({ profileId: 'p-1' }),
      exportQueueRecord({ profileId: 'p-2', destinationId: 'sales' }),
    ];
    const b = [
      exportQueueRecord({ profileId: 'p-1' }),
      exportQueueRecord({ profileId: 'p-4', destinationId: 'sales' }),
    ];

    const [answerA, answerB] = await Promise.all([
      handler({ Records: a }, contextEnding(0, deadline)),
      handler({ Records: b }, contextEnding(0, deadline)),
    ]);

    expect(answerA).toEqual({ batchItemFailures: [{ itemIdentifier: a[1]?.messageId }] });
    expect(answerB).toEqual({ batchItemFailures: [{ itemIdentifier: b[1]?.messageId }] });
  });
});
