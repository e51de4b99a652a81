import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackfillCheckpoint } from '../../../lambdas/backfill/checkpoints.js';
import { handleBackfill } from '../../../lambdas/backfill/invocation.js';
import { powertoolsMetricSink } from '../../../lambdas/commons/observability.js';
import { compiledConfig, SEG } from '../../helpers/factories.js';

const dynamo = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
const lambda = mockClient(LambdaClient);

// Metrics off for this file only: the unit files share their worker thread's process.env.
beforeAll(() => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** The checkpoint as the mocked state table holds it. */
let stored: BackfillCheckpoint | undefined;
let scannedSegments: number[];

beforeEach(() => {
  dynamo.reset();
  documents.reset();
  lambda.reset();
  stored = undefined;
  scannedSegments = [];
  // Ten million profiles of about 5.4 KB on an on-demand table.
  dynamo.on(DescribeTableCommand).resolves({
    Table: {
      ItemCount: 10_000_000,
      TableSizeBytes: 54_000_000_000,
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    },
  });
  dynamo.on(ScanCommand).callsFake((input: ScanCommandInput) => {
    scannedSegments.push(input.Segment ?? -1);
    return { Items: [], ScannedCount: 0, ConsumedCapacity: { CapacityUnits: 1 } };
  });
  documents.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({
    Item: input.Key.pk === 'backfill#deploy' ? stored : undefined,
  }));
  documents.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
    if (input.Item.pk === 'backfill#deploy')
      stored = structuredClone(input.Item) as unknown as BackfillCheckpoint;
    return {};
  });
  documents.on(UpdateCommand).resolves({});
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
});

const event = {
  runId: 'deploy-workers-1',
  pairs: [{ destinationId: 'marketing', segmentId: SEG.delorean, runId: 'deploy-pair-1' }],
};
const context = {
  getRemainingTimeInMillis: () => 900_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:KinesisDestination-backfill',
};
const deps = () => ({
  dynamo: new DynamoDBClient({}),
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
  config: compiledConfig(),
  environment: {
    profileTableName: 'profiles',
    stateTableName: 'state',
    exportQueueUrl: 'https://sqs.local/q.fifo',
  },
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  metrics: powertoolsMetricSink(new Metrics({ namespace: 'test', serviceName: 'test' })),
});

describe("a large table's deploy backfill", () => {
  it('is sized to the table, starts the other workers with their index, and scans only its own share', async () => {
    const result = await handleBackfill(event, context, deps());

    const workers = stored?.workers ?? 1;
    expect(workers).toBeGreaterThan(1);
    expect(stored?.totalSegments).toBeGreaterThan(workers);
    const started = lambda
      .commandCalls(InvokeCommand)
      .map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)));
    expect(started).toEqual(Array.from({ length: workers - 1 }, (_, i) => ({ ...event, worker: i + 1 })));
    expect(scannedSegments.length).toBeGreaterThan(0);
    expect(scannedSegments.every((s) => s % workers === 0)).toBe(true);
    // The others' segments are not done yet: this worker's share is, the run is not.
    expect(result.status).toBe('share-completed');
  });

  it('lets a worker of a scan that a newer deploy replaced stop without scanning', async () => {
    await handleBackfill(event, context, deps());
    scannedSegments = [];

    const stale = await handleBackfill({ ...event, runId: 'deploy-older', worker: 2 }, context, deps());

    expect(stale.status).toBe('superseded');
    expect(scannedSegments).toEqual([]);
  });
});
