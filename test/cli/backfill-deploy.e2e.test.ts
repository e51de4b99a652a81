/**
 * A deploy's backfill on the emulators: one scan of the profile table serves every newly mapped
 * (destination, segment) pair; pairs already backfilled are not scanned again; a re-mapped segment is.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../../core/compiled-config.js';
import type { ExportMessage } from '../../core/export-message.js';
import { backfillRunId, deployRunId } from '../../lambdas/backfill/deploy-backfill.js';
import { type DeployBackfillEvent, handleBackfill } from '../../lambdas/backfill/invocation.js';
import { powertoolsMetricSink } from '../../lambdas/commons/observability.js';
import { createDynamoDbClient } from '../../local/clients.js';
import type { LocalStack } from '../../local/stack.js';
import { config as configOf, destination, mapping, membership } from '../helpers/factories.js';
import { startTestStack, writeTo } from '../helpers/stack.js';

const SEG = { a: 'seg-a', b: 'seg-b', c: 'seg-c' } as const;
const at = '2024-01-01T00:00:00Z';

const config = configOf({
  destinations: [
    destination({
      streamName: 'deploy-backfill-marketing',
      segments: [mapping(SEG.a, 1_700_000_000_000), mapping(SEG.b, 1_700_000_000_000)],
      attributes: ['person.name.lastName'],
    }),
    destination({
      id: 'analytics',
      streamName: 'deploy-backfill-analytics',
      segments: [mapping(SEG.c, 1_700_000_000_000)],
      attributes: [],
    }),
  ],
});

/** 30 profiles: a third each in segment a, b and c, plus 10 in none. */
const profiles = [
  ...Array.from({ length: 30 }, (_, i) => ({
    profileId: `p-${i}`,
    person: { name: { lastName: `L${i}` } },
    segmentMembership: {
      ups: { [Object.values(SEG)[i % 3] as string]: membership('realized', at) },
    },
  })),
  ...Array.from({ length: 10 }, (_, i) => ({ profileId: `none-${i}`, person: { name: { lastName: 'N' } } })),
];

/** The event the deploy-time trigger sends for these mappings. */
function deployEvent(
  mappings: { destinationId: string; segmentId: string; createdAt: number }[],
): DeployBackfillEvent {
  const pairs = mappings.map((m) => ({
    destinationId: m.destinationId,
    segmentId: m.segmentId,
    runId: backfillRunId(m.destinationId, m.segmentId, m.createdAt),
  }));
  return { runId: deployRunId(pairs.map((p) => p.runId)), pairs };
}

const ALL = [
  { destinationId: 'marketing', segmentId: SEG.a, createdAt: 1_700_000_000_000 },
  { destinationId: 'marketing', segmentId: SEG.b, createdAt: 1_700_000_000_000 },
  { destinationId: 'analytics', segmentId: SEG.c, createdAt: 1_700_000_000_000 },
];

let stack: LocalStack;
let counted: DynamoDBClient;
let scansStarted = 0;

async function drain(): Promise<ExportMessage[]> {
  const messages: ExportMessage[] = [];
  for (let empty = 0; empty < 3; ) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.exportQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    messages.push(...Messages.map((m) => JSON.parse(m.Body ?? '{}') as ExportMessage));
    await stack.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: stack.resources.exportQueueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return messages;
}

const lambda = mockClient(LambdaClient);
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const context = {
  getRemainingTimeInMillis: () => 900_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:KinesisDestination-backfill',
};
const deps = () => ({
  dynamo: counted,
  sqs: stack.clients.sqs,
  lambda: new LambdaClient({ region: 'us-east-1' }),
  config: compileConfig(config),
  environment: {
    profileTableName: stack.resources.profileTableName,
    stateTableName: stack.resources.stateTableName,
    exportQueueUrl: stack.resources.exportQueueUrl,
  },
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  metrics: powertoolsMetricSink(new Metrics({ namespace: 'test', serviceName: 'test' })),
});

beforeAll(async () => {
  stack = await startTestStack({ config, runPipeline: false });
  await writeTo(stack, profiles);
  counted = createDynamoDbClient(stack.endpoints.dynamodb);
  // A scan starts with the first page of segment 0 (no ExclusiveStartKey).
  counted.middlewareStack.add(
    (next, ctx) => async (args) => {
      const input = args.input as { Segment?: number; ExclusiveStartKey?: unknown };
      if (
        ctx.commandName === 'ScanCommand' &&
        (input.Segment ?? 0) === 0 &&
        input.ExclusiveStartKey === undefined
      )
        scansStarted++;
      return next(args);
    },
    { step: 'initialize', name: 'countScans' },
  );
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
});

afterAll(async () => {
  counted?.destroy();
  await stack?.stop();
});

describe("a deploy's backfill", () => {
  it('scans the table once for three newly mapped pairs of two destinations and exports each member once per pair', async () => {
    const result = await handleBackfill(deployEvent(ALL), context, deps());

    expect(result).toMatchObject({ status: 'completed', scanned: profiles.length, queued: 30 });
    expect(scansStarted).toBe(1);
    const queued = await drain();
    const byDestination = (id: string) =>
      queued
        .filter((m) => m.destinationId === id)
        .map((m) => m.profileId)
        .sort();
    const members = (segments: string[]) =>
      profiles
        .filter((_, i) => i < 30 && segments.includes(Object.values(SEG)[i % 3] as string))
        .map((p) => p.profileId)
        .sort();
    expect(byDestination('marketing')).toEqual(members([SEG.a, SEG.b]));
    expect(byDestination('analytics')).toEqual(members([SEG.c]));
    expect(new Set(queued.map((m) => m.reasons.join()))).toEqual(new Set(['backfill']));
  });

  it('does not scan again for pairs already backfilled, even under a new deploy run id', async () => {
    scansStarted = 0;
    const same = await handleBackfill(deployEvent(ALL), context, deps());
    const reordered = await handleBackfill(deployEvent([...ALL].reverse().slice(0, 2)), context, deps());

    expect(same.status).toBe('already-completed');
    expect(reordered.status).toBe('already-completed');
    expect(scansStarted).toBe(0);
    expect(await drain()).toEqual([]);
  });

  it('scans once for a re-mapped segment only', async () => {
    scansStarted = 0;
    const remapped = ALL.map((m) => (m.segmentId === SEG.c ? { ...m, createdAt: 1_800_000_000_000 } : m));
    const result = await handleBackfill(deployEvent(remapped), context, deps());

    expect(result.status).toBe('completed');
    expect(scansStarted).toBe(1);
    const queued = await drain();
    expect(new Set(queued.map((m) => m.destinationId))).toEqual(new Set(['analytics']));
    expect(queued).toHaveLength(10);
  });
});
