/**
 * `dlq list` and `dlq redrive` as an operator runs them (the CLI's commands, in this process, with
 * the environment `local up` prints) against the local stack holding real dead letters: the messages
 * in flight are counted; a redrive is refused — before anything moves — from pipeline A's DLQ into
 * pipeline B's export queue, while the destination stream is missing, and after a destroy (a fresh,
 * empty state table).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { registerDlqCommands } from '../../cli/dlq/commands.js';
import type { DestinationConfig } from '../../core/config.js';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.js';
import { createResources, type LocalResources, prefixedResourceNames } from '../../local/resources.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { runCli } from '../helpers/cli-run.js';
import { startTestStack } from '../helpers/stack.js';

const SEGMENT = 'seg-guards';
const destination = (streamName: string): DestinationConfig['destinations'][number] => ({
  id: 'marketing',
  name: 'Marketing',
  region: 'us-east-1',
  streamName,
  includeSegmentNames: false,
  includeSegmentTimestamps: false,
  segments: [{ id: SEGMENT, mappingCreatedAt: 1_700_000_000_000, mappingUpdatedAt: 1_700_000_000_000 }],
  attributes: ['person.name.lastName'],
});
const config: DestinationConfig = {
  destinations: [destination('guards-e2e')],
  segmentCatalog: [{ id: SEGMENT, name: 'Customers', mergePolicyId: 'mp', createdAt: 1, updatedAt: 1 }],
};
const DEAD_LETTERS = 3;

let stack: LocalStack;
let proxy: FaultProxy | undefined;

const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli((program) => registerDlqCommands(program), args, { ...stack.env, ...env });
const resourceClients = () => ({
  dynamodb: stack.clients.dynamodb,
  sqs: stack.clients.sqs,
  kinesisFor: () => stack.clients.kinesis,
});
const arnOf = async (url: string) =>
  (
    await stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn as string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kd-guards-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  stack = await startTestStack({
    config: configPath,
    functionKinesisEndpoint: async (emulator) => {
      proxy = await startFaultProxy({ target: emulator });
      return proxy.url;
    },
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 3_000 },
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  // The stream refuses every put: each export is dead-lettered after its three attempts.
  proxy?.setFault({ kind: 'http-error', status: 503 });
  await writeProfiles(
    Array.from({ length: DEAD_LETTERS }, (_, i) => ({
      profileId: `g-${i}`,
      person: { name: { lastName: `v${i}` } },
      identityMap: { email: [{ id: `g-${i}@example.com` }] },
      segmentMembership: {
        ups: { [SEGMENT]: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' } },
      },
    })),
    { tableName: stack.resources.profileTableName, client: stack.clients.dynamodb },
  );
  await waitFor('the dead letters', async () => (await stack.queueDepth('dlq')) === DEAD_LETTERS, {
    timeoutMs: 90_000,
    intervalMs: 200,
  });
  await stack.waitForIdle({ timeoutMs: 60_000 });
  proxy?.setFault({ kind: 'none' });
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
});

describe('dlq commands on the local stack', () => {
  it('dlq list counts the messages another reader holds', async () => {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.deadLetterQueueUrl,
        MaxNumberOfMessages: 1,
        VisibilityTimeout: 120,
      }),
    );
    expect(Messages).toHaveLength(1);

    const run = await cli(['dlq', 'list', '--json']);

    await stack.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: stack.resources.deadLetterQueueUrl,
        ReceiptHandle: Messages[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(DEAD_LETTERS - 1);
    expect(run.stderr).toContain(
      `${DEAD_LETTERS - 1} dead-lettered export(s) listed, 1 more in flight (being received by another reader or in a redrive; not listed)`,
    );
  });

  it('a dry run in its own pipeline passes every check and echoes both ARNs', async () => {
    const run = await cli(['dlq', 'redrive', '--dry-run']);

    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'DRY_RUN', toMove: DEAD_LETTERS, moved: 0 });
    expect(run.stderr).toContain(`from dead-letter queue ${await arnOf(stack.resources.deadLetterQueueUrl)}`);
    expect(run.stderr).toContain(`into export queue      ${await arnOf(stack.resources.exportQueueUrl)}`);
    expect(run.stderr).toContain(
      `ledger: ${DEAD_LETTERS} of ${DEAD_LETTERS} sampled dead letters have their failure record`,
    );
    expect(run.stderr).toContain('stream of marketing: stream "guards-e2e" exists and is writable');
  });

  it("refuses to move pipeline A's dead letters into pipeline B's export queue", async () => {
    const b: LocalResources = await createResources(
      resourceClients(),
      { ...config, destinations: [destination('guards-e2e-b')] },
      stack.timings,
      // Pipeline B's tables on the shared DynamoDB Local: named for this file alone.
      prefixedResourceNames(`b${process.pid}`),
    );

    const run = await cli(['dlq', 'redrive', '--yes'], {
      EXPORT_QUEUE_URL: b.exportQueueUrl,
      STATE_TABLE_NAME: b.stateTableName,
    });

    expect(run.exitCode).toBe(2);
    expect(run.message).toBe(
      `refusing to redrive: the dead-letter queue ${await arnOf(stack.resources.deadLetterQueueUrl)} is not the export queue's: export queue ${await arnOf(b.exportQueueUrl)} dead-letters into ${await arnOf(b.deadLetterQueueUrl)}. Nothing was moved. The two queues must be one pipeline's: pass --stack with that pipeline's stack (it gives every resource), or set DLQ_URL and EXPORT_QUEUE_URL to one pipeline's queues`,
    );
    expect(await stack.queueDepth('dlq')).toBe(DEAD_LETTERS);
    const { Attributes } = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: b.exportQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('refuses while the destination stream is missing, before anything moves', async () => {
    await stack.clients.kinesis.send(new DeleteStreamCommand({ StreamName: 'guards-e2e' }));
    await waitFor('the stream deleted', () =>
      stack.clients.kinesis
        .send(new DescribeStreamSummaryCommand({ StreamName: 'guards-e2e' }))
        .then(() => false)
        .catch((error: unknown) => (error as Error).name === 'ResourceNotFoundException'),
    );

    const run = await cli(['dlq', 'redrive', '--yes']);

    expect(run.exitCode).toBe(2);
    expect(run.message).toMatch(
      /^refusing to redrive: destination "marketing": stream "guards-e2e" is not among the streams these credentials list/,
    );
    expect(run.message).toContain('Nothing was moved');
    expect(await stack.queueDepth('dlq')).toBe(DEAD_LETTERS);
    expect(await stack.queueDepth('export')).toBe(0);
    // The stream back, for what follows.
    await createResources(resourceClients(), stack.config, stack.timings, stack.resourceNames);
  });

  it('refuses after a destroy: the fresh state table does not know the dead letters', async () => {
    const table = stack.resources.stateTableName;
    await stack.clients.dynamodb.send(new DeleteTableCommand({ TableName: table }));
    await waitFor('the state table deleted', () =>
      stack.clients.dynamodb
        .send(new DescribeTableCommand({ TableName: table }))
        .then(() => false)
        .catch((error: unknown) => error instanceof ResourceNotFoundException),
    );
    await createResources(resourceClients(), stack.config, stack.timings, stack.resourceNames);

    const run = await cli(['dlq', 'redrive', '--yes']);

    expect(run.exitCode).toBe(2);
    expect(run.message).toMatch(
      new RegExp(
        `^refusing to redrive: state table "${table}" is not the delivery ledger of these exports — ${DEAD_LETTERS} of ${DEAD_LETTERS} sampled dead letters were queued before the state table was created`,
      ),
    );
    expect(run.message).toContain('existingStateTable');
    expect(await stack.queueDepth('dlq')).toBe(DEAD_LETTERS);
    expect(await stack.queueDepth('export')).toBe(0);
  });
});
