/**
 * The Done-when of issue 21's funnel: `local up` spawned as a user runs it, a scripted scenario
 * (profile writes through the profile writer, a raw write Kinesis cannot take, and an export queued by
 * hand that is dead-lettered at once), then `npm run cli -- status --json` spawned with the
 * environment `local up` printed: each count equals what the scenario wrote, exported, skipped,
 * rejected and dead-lettered, and the local latency is within 2 s of the write → Kinesis time the
 * test measures (the writer's time before each write to the record's ApproximateArrivalTimestamp).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import type { FunnelReport } from '../../core/funnel-types.js';
import { waitFor } from '../../local/wait.js';
import { exportMessage } from '../helpers/factories.js';

const run = promisify(execFile);
const SEGMENT = 'seg-customers';
const EMOJI_ID = '\u{1F600}'.repeat(130);
const STREAM = 'status-funnel';
const config = {
  destinations: [
    {
      id: 'marketing',
      name: 'Marketing',
      region: 'us-east-1',
      streamName: STREAM,
      includeSegmentNames: false,
      includeSegmentTimestamps: false,
      segments: [{ id: SEGMENT, mappingCreatedAt: 1_700_000_000_000, mappingUpdatedAt: 1_700_000_000_000 }],
      attributes: ['person.name.lastName'],
    },
  ],
  segmentCatalog: [{ id: SEGMENT, name: 'Customers', mergePolicyId: 'mp', createdAt: 1, updatedAt: 1 }],
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dir: string;
let localUp: ChildProcess;
let env: Record<string, string> = {};
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-status-'));
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));
  const ports = [await freePort(), await freePort(), await freePort()].map(String);
  localUp = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bin/cli.ts',
      'local',
      'up',
      '--no-console',
      '--config',
      configPath,
      '--dynamodb-port',
      ports[0] as string,
      '--kinesis-port',
      ports[1] as string,
      '--sqs-port',
      ports[2] as string,
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, stdio: 'pipe' },
  );
  exited = new Promise((resolve) => localUp.once('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  localUp.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  localUp.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitFor(
    "local up's environment",
    () => {
      if (localUp.exitCode !== null) throw new Error(`local up exited: ${stderr.slice(-2000)}`);
      return stdout.includes('KD_LOCAL_METRICS_URL');
    },
    { timeoutMs: 150_000 },
  );
  env = Object.fromEntries(
    [...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/^'|'$/g, ''),
    ]),
  );
}, 180_000);

afterAll(async () => {
  if (localUp !== undefined && localUp.exitCode === null) {
    localUp.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (localUp.exitCode === null) localUp.kill('SIGKILL');
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

function clients() {
  const region = env.AWS_REGION ?? 'us-east-1';
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'local',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'local',
  };
  return {
    dynamodb: new DynamoDBClient({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
    sqs: new SQSClient({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_SQS }),
    kinesis: new KinesisClient({
      region,
      credentials,
      endpoint: env.AWS_ENDPOINT_URL_KINESIS,
      requestHandler: new NodeHttpHandler(),
    }),
  };
}

async function arrivals(kinesis: KinesisClient): Promise<Map<string, number>> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  const arrived = new Map<string, number>();
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    for (const r of Records)
      if (r.PartitionKey !== undefined && r.ApproximateArrivalTimestamp !== undefined)
        arrived.set(r.PartitionKey, r.ApproximateArrivalTimestamp.getTime());
  }
  return arrived;
}

const qualified = (profileId: string) => ({
  profileId,
  person: { name: { lastName: `last-${profileId}` } },
  segmentMembership: {
    ups: { [SEGMENT]: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' } },
  },
});

describe('kinesis-destination status --json against local up', () => {
  it('counts what the scenario wrote, exported, skipped, rejected and dead-lettered, and the latency', async () => {
    const { dynamodb, sqs, kinesis } = clients();
    const tableName = env.PROFILE_TABLE_NAME as string;
    const writtenAt = new Map<string, number>();
    // Three qualifying writes: exported (segment) and delivered.
    for (const id of ['p-1', 'p-2', 'p-3']) {
      writtenAt.set(id, Date.now());
      await writeProfiles([qualified(id)], { tableName, client: dynamodb });
    }
    // A mapped attribute of a profile in no mapped segment: skipped, not qualified.
    await writeProfiles([{ profileId: 'p-4', person: { name: { lastName: 'Nobody' } } }], {
      tableName,
      client: dynamodb,
    });
    // An unmapped attribute of a member: skipped, no relevant change.
    await writeProfiles([{ profileId: 'p-1', loyalty: { tier: 'gold' } }], { tableName, client: dynamodb });
    // A profile id Kinesis cannot take as a partition key (a raw writer): rejected.
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: marshall(qualified(EMOJI_ID)) }));
    // An export of that id queued anyway (older code): dead-lettered at once.
    const poison = exportMessage({
      profileId: EMOJI_ID,
      destinationId: 'marketing',
      reasons: ['segment-membership'],
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: env.EXPORT_QUEUE_URL,
        MessageBody: poison.body,
        MessageGroupId: poison.groupId,
        MessageDeduplicationId: poison.deduplicationId,
      }),
    );

    let arrived = new Map<string, number>();
    await waitFor(
      'three records in the stream and one dead letter',
      async () => {
        arrived = await arrivals(kinesis);
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: env.DLQ_URL,
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
        );
        return arrived.size === 3 && Attributes?.ApproximateNumberOfMessages === '1';
      },
      { timeoutMs: 60_000 },
    );
    // The export function counts when it answers its batch; the decide function after its sends.
    let report: FunnelReport | undefined;
    await waitFor(
      'the funnel to count the scenario',
      async () => {
        const { stdout } = await run('npm', ['run', '--silent', 'cli', '--', 'status', '--json'], {
          env: { ...process.env, ...env },
        });
        report = JSON.parse(stdout) as FunnelReport;
        const row = report.destinations[0];
        return row !== undefined && row.delivered === 3 && row.deadLettered === 1 && row.evaluated === 6;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );

    expect(report?.destinations).toHaveLength(1);
    const row = report?.destinations[0];
    expect(row).toMatchObject({
      id: 'marketing',
      evaluated: 6,
      exported: { segment: 3 },
      skipped: { 'not-qualified': 1, 'no-relevant-change': 1 },
      rejected: { PROFILE_ID_TOO_LONG: 1 },
      delivered: 3,
      retried: 0,
      deadLettered: 1,
      redriven: 0,
      alarms: [],
    });
    expect(Date.parse(report?.window.to ?? '') - Date.parse(report?.window.from ?? '')).toBeCloseTo(
      3_600_000,
      -3,
    );
    const measured = ['p-1', 'p-2', 'p-3']
      .map((id) => (arrived.get(id) as number) - (writtenAt.get(id) as number))
      .sort((a, b) => a - b);
    expect(Math.abs((row?.latencyMs.max ?? Number.NaN) - (measured[2] as number))).toBeLessThan(2_000);
    expect(Math.abs((row?.latencyMs.p50 ?? Number.NaN) - (measured[1] as number))).toBeLessThan(2_000);
  }, 150_000);
});
