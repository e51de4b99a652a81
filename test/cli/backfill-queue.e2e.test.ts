import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillFromCli } from '../../cli/backfill.js';
import { compileConfig } from '../../core/compiled-config.js';
import { UsageError } from '../../core/errors.js';
import {
  type ExportMessage,
  exportDocumentOf,
  exportIdFor,
  exportMessageSchema,
  messageGroupIdFor,
  readExportMessage,
} from '../../core/export-message.js';
import { checkpointKey, readCheckpoint } from '../../lambdas/backfill/checkpoints.js';
import { handleBackfill } from '../../lambdas/backfill/invocation.js';
import { powertoolsMetricSink } from '../../lambdas/commons/observability.js';
import { createDynamoDbClient } from '../../local/clients.js';
import type { LocalStack } from '../../local/stack.js';
import { config as configOf, destination, mapping, membership, segment } from '../helpers/factories.js';
import { startTestStack, writeTo } from '../helpers/stack.js';

/**
 * The backfill against the real emulators, without the pipeline: what lands on the export queue.
 * (The end-to-end test through the exporter to Kinesis is backfill.e2e.test.ts.)
 */

const SEG_NEW = 'seg-newly-mapped';
const SEG_OLD = 'seg-already-mapped';
const SEG_OTHER = 'seg-unmapped';

const config = configOf({
  destinations: [
    destination({
      streamName: 'backfill-queue-test',
      segments: [mapping(SEG_OLD, 1_600_000_000_000), mapping(SEG_NEW, 1_700_000_000_000)],
      attributes: ['person.name.lastName'],
    }),
  ],
  segmentCatalog: [
    segment({ id: SEG_NEW }),
    segment({ id: SEG_OLD }),
    segment({ id: SEG_OTHER, mergePolicyId: 'mp-2' }),
  ],
});

const MEMBERS = 45;
const at = '2024-01-01T00:00:00Z';
const profiles = [
  ...Array.from({ length: MEMBERS }, (_, i) => ({
    profileId: `member-${i}`,
    person: { name: { lastName: `Member${i}` } },
    identityMap: { ecid: [{ id: `ecid-${i}` }] },
    segmentMembership: {
      ups: { [SEG_NEW]: membership(i % 2 === 0 ? 'realized' : 'existing', at) },
    },
  })),
  ...Array.from({ length: 15 }, (_, i) => ({
    profileId: `outsider-${i}`,
    person: { name: { lastName: `Outsider${i}` } },
    segmentMembership: { ups: { [SEG_OTHER]: membership('realized', at) } },
  })),
  ...Array.from({ length: 5 }, (_, i) => ({
    profileId: `exited-${i}`,
    segmentMembership: { ups: { [SEG_NEW]: membership('exited', at) } },
  })),
];

let stack: LocalStack;

async function drainExportQueue(): Promise<ExportMessage[]> {
  const messages: ExportMessage[] = [];
  let empty = 0;
  while (empty < 3) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.exportQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        // The SQS emulator reads only the older AttributeNames; AWS accepts both.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    for (const m of Messages) {
      const body = exportMessageSchema.parse(readExportMessage(m.Body ?? '{}'));
      expect(m.Attributes?.MessageGroupId).toBe(messageGroupIdFor(body.destinationId, body.profileId));
      expect(m.Attributes?.MessageDeduplicationId).toBe(body.exportId);
      messages.push(body);
    }
    await stack.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: stack.resources.exportQueueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return messages;
}

function deployment() {
  return {
    profileTableName: stack.resources.profileTableName,
    stateTableName: stack.resources.stateTableName,
    exportQueueUrl: stack.resources.exportQueueUrl,
  };
}

const quiet = { write: () => true, isTTY: false };

beforeAll(async () => {
  stack = await startTestStack({ config, runPipeline: false });
  await writeTo(stack, profiles);
});

afterAll(async () => {
  await stack?.stop();
});

describe('backfillFromCli() on the emulators', () => {
  it('queues each member of the segment once, stops on request, and --resume finishes the run', async () => {
    const stop = new AbortController();
    let pages = 0;

    const first = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment: deployment(),
      config,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      pageSize: 6,
      totalSegments: 3,
      signal: stop.signal,
      progress: quiet,
      onPage: () => {
        pages += 1;
        if (pages === 3) stop.abort();
      },
    });

    expect(first.status).toBe('stopped');
    const checkpoint = await readCheckpoint(
      stack.clients.dynamodb,
      stack.resources.stateTableName,
      'marketing',
      [SEG_NEW],
    );
    expect(checkpoint?.pk).toBe(checkpointKey('marketing', [SEG_NEW]));
    expect(checkpoint?.status).toBe('running');
    expect(Object.values(checkpoint?.segments ?? {}).some((s) => s.lastKey !== undefined)).toBe(true);

    // Starting over by accident is refused while a run is unfinished.
    await expect(
      backfillFromCli({
        dynamo: stack.clients.dynamodb,
        sqs: stack.clients.sqs,
        deployment: deployment(),
        config,
        destinationId: 'marketing',
        segmentIds: [SEG_NEW],
        progress: quiet,
      }),
    ).rejects.toThrow(UsageError);

    const resumed = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment: deployment(),
      config,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      resume: true,
      pageSize: 6,
      progress: quiet,
    });

    expect(resumed).toMatchObject({ status: 'completed', runId: first.runId, queued: MEMBERS, invalid: 0 });
    expect(resumed.scanned).toBe(profiles.length);
    const queued = await drainExportQueue();
    expect(queued.map((m) => m.profileId).sort()).toEqual(
      Array.from({ length: MEMBERS }, (_, i) => `member-${i}`).sort(),
    );
    for (const m of queued) {
      expect(m.reasons).toEqual(['backfill']);
      expect(m.sourceEventId).toBe(`backfill:${first.runId}:${m.profileId}`);
      expect(m.exportId).toBe(exportIdFor(m.sourceEventId, 'marketing'));
      expect(Object.keys(exportDocumentOf(m).segmentMembership as object)).toEqual(['ups']);
      expect(m.profileVersion).toBeGreaterThan(0);
    }

    const again = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment: deployment(),
      config,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      resume: true,
      progress: quiet,
    });
    expect(again.status).toBe('already-completed');
  });

  it('asks before exporting the members of a segment already backfilled again, and refuses without a terminal or --yes', async () => {
    const before = await stack.queueDepth('export');

    const attempt = backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment: deployment(),
      config,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      restart: true,
      prompter: { interactive: false, ask: () => Promise.reject(new Error('no terminal')) },
      progress: quiet,
    });

    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `^not confirmed: 1 segment\\(s\\) of "marketing" were backfilled already — ${SEG_NEW} \\(run cli-.*\\): this backfill exports every current member of them again, which the destination has received \\(the last run of these segments queued ${MEMBERS}.*pass --yes`,
      ),
    );
    expect(await stack.queueDepth('export')).toBe(before);
  });

  it('queues a page again after a crash before its checkpoint, and the deduplication ids drop the copies', async () => {
    // A client whose third checkpoint write fails, as if the process died between send and checkpoint.
    const dynamo = createDynamoDbClient(stack.endpoints.dynamodb);
    let updates = 0;
    dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && ++updates === 3) throw new Error('crashed');
        return next(args);
      },
      { step: 'initialize', name: 'crashOnThirdCheckpoint' },
    );

    await expect(
      backfillFromCli({
        dynamo,
        sqs: stack.clients.sqs,
        deployment: deployment(),
        config,
        destinationId: 'marketing',
        segmentIds: [SEG_NEW],
        restart: true,
        // The segment was backfilled by the test before: re-exporting it is what this test does.
        yes: true,
        pageSize: 5,
        totalSegments: 2,
        progress: quiet,
      }),
    ).rejects.toThrow('crashed');
    const resumed = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment: deployment(),
      config,
      destinationId: 'marketing',
      segmentIds: [SEG_NEW],
      resume: true,
      pageSize: 5,
      progress: quiet,
    });

    expect(resumed.status).toBe('completed');
    const queued = await drainExportQueue();
    const ids = queued.map((m) => m.profileId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: MEMBERS }, (_, i) => `member-${i}`).sort());
    dynamo.destroy();
  });

  it('backfills only the segments asked for and refuses an unmapped one', async () => {
    await expect(
      backfillFromCli({
        dynamo: stack.clients.dynamodb,
        sqs: stack.clients.sqs,
        deployment: deployment(),
        config,
        destinationId: 'marketing',
        segmentIds: [SEG_OTHER],
        progress: quiet,
      }),
    ).rejects.toThrow(/not mapped to destination "marketing"/);

    const result = await backfillFromCli({
      dynamo: stack.clients.dynamodb,
      sqs: stack.clients.sqs,
      deployment: deployment(),
      config,
      destinationId: 'marketing',
      segmentIds: [SEG_OLD],
      progress: quiet,
    });

    expect(result).toMatchObject({ status: 'completed', queued: 0 });
    expect(await drainExportQueue()).toEqual([]);
    const { Count } = await stack.clients.dynamodb.send(
      new ScanCommand({ TableName: stack.resources.profileTableName, Select: 'COUNT' }),
    );
    expect(result.scanned).toBe(Count);
  });
});

describe('backfill function handler on the emulators', () => {
  const lambda = mockClient(LambdaClient);
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  // EMF lines on stdout are for CloudWatch, not for the test output.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
  const context = (remainingMs: number) => ({
    getRemainingTimeInMillis: () => remainingMs,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:KinesisDestination-backfill',
    awsRequestId: 'req-1',
  });
  const deps = () => ({
    dynamo: stack.clients.dynamodb,
    sqs: stack.clients.sqs,
    lambda: new LambdaClient({ region: 'us-east-1' }),
    config: compileConfig(config),
    environment: deployment(),
    logger,
    metrics: powertoolsMetricSink(metrics),
    reserveMs: 60_000,
  });

  it('checkpoints when time runs out, re-invokes itself with the same event, and the next invocation finishes the run', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const event = { destinationId: 'marketing', segmentIds: [SEG_NEW], runId: 'deploy-test-1' };

    const first = await handleBackfill(event, context(1_000), deps());

    expect(first.status).toBe('stopped');
    const invoke = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke?.InvocationType).toBe('Event');
    expect(invoke?.FunctionName).toBe(context(0).invokedFunctionArn);
    expect(JSON.parse(new TextDecoder().decode(invoke?.Payload as Uint8Array))).toEqual(event);

    const second = await handleBackfill(event, context(900_000), deps());

    expect(second).toMatchObject({ status: 'completed', runId: 'deploy-test-1', queued: MEMBERS });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    const third = await handleBackfill(event, context(900_000), deps());
    expect(third.status).toBe('already-completed');
    const queued = await drainExportQueue();
    expect(queued.map((m) => m.profileId).sort()).toEqual(
      Array.from({ length: MEMBERS }, (_, i) => `member-${i}`).sort(),
    );
    expect(new Set(queued.map((m) => m.sourceEventId.split(':')[1]))).toEqual(new Set(['deploy-test-1']));
  });

  it('rejects an event that is not a backfill event', async () => {
    await expect(handleBackfill({ destinationId: 'marketing' }, context(900_000), deps())).rejects.toThrow();
  });
});
