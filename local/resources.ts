/**
 * Creates the pipeline's resources on the emulators, with the names of docs/ARCHITECTURE.md and
 * the settings of `core/pipeline-settings.ts` (visibility timeouts scaled by `localTimeScale`).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ResourceInUseException as KinesisResourceInUseException,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DestinationConfig } from '../core/config.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { waitFor } from './wait.js';

/** The names of one pipeline's tables and queues. */
export interface LocalResourceNames {
  readonly profileTable: string;
  readonly stateTable: string;
  readonly exportQueue: string;
  readonly deadLetterQueue: string;
  readonly rejectsQueue: string;
  readonly decideFailuresQueue: string;
}

/** Resource names of the local stack (docs/ARCHITECTURE.md, "Local resource names"). */
export const LOCAL_RESOURCE_NAMES: LocalResourceNames = {
  profileTable: 'profiles',
  stateTable: 'kinesis-destination-state',
  exportQueue: 'kinesis-destination-export.fifo',
  deadLetterQueue: 'kinesis-destination-export-dlq.fifo',
  rejectsQueue: 'kinesis-destination-rejects',
  decideFailuresQueue: 'kinesis-destination-decide-failures',
};

/**
 * The local names with the two tables `<prefix>-` before theirs: a stack on a DynamoDB Local that other
 * stacks share (its queues and streams are on emulators of its own).
 */
export function prefixedTableNames(prefix: string): LocalResourceNames {
  const n = LOCAL_RESOURCE_NAMES;
  return { ...n, profileTable: `${prefix}-${n.profileTable}`, stateTable: `${prefix}-${n.stateTable}` };
}

/**
 * The names of a second pipeline's resources on the same emulators (`<prefix>-` before each name):
 * tests that need two pipelines — a dead-letter queue of one, the export queue of the other — create
 * them with {@link createResources}.
 */
export function prefixedResourceNames(prefix: string): LocalResourceNames {
  const n = LOCAL_RESOURCE_NAMES;
  return {
    ...prefixedTableNames(prefix),
    exportQueue: `${prefix}-${n.exportQueue}`,
    deadLetterQueue: `${prefix}-${n.deadLetterQueue}`,
    rejectsQueue: `${prefix}-${n.rejectsQueue}`,
    decideFailuresQueue: `${prefix}-${n.decideFailuresQueue}`,
  };
}

/**
 * Receives the local export queue's redrive policy allows beyond `maxReceiveCount`: local-aws-sqs
 * counts receives while the local mapping holds a message behind an earlier one of its group (SQS
 * would not have handed it out), so without them a message could be dead-lettered before any attempt.
 * The function still sees SQS's count (the backstop's last receive) and dead-letters an export itself
 * after its third real attempt; this backstop only catches invocations that crash or time out.
 */
export const HELD_RECEIVES_ALLOWED = 3;

/** The local timing derived from the settings and the time scale. */
export interface LocalTimings {
  /** Export queue visibility timeout, whole seconds (SQS takes integers), at least 1. */
  readonly exportVisibilityTimeoutSeconds: number;
  readonly decideTimeoutMs: number;
  readonly exportTimeoutMs: number;
  readonly maxReceiveCount: number;
}

/**
 * Scales the settings' timeouts by `timeScale` (default `localTimeScale`, 0.1): a crashed local
 * invocation is retried in seconds, not minutes. Overrides win over the scaled values.
 */
export function localTimings(
  timeScale: number = PIPELINE_SETTINGS.localTimeScale,
  overrides: Partial<LocalTimings> = {},
): LocalTimings {
  return {
    exportVisibilityTimeoutSeconds: Math.max(
      1,
      Math.round(PIPELINE_SETTINGS.exportQueue.visibilityTimeoutSeconds * timeScale),
    ),
    decideTimeoutMs: Math.round(PIPELINE_SETTINGS.decide.timeoutSeconds * 1000 * timeScale),
    exportTimeoutMs: Math.round(PIPELINE_SETTINGS.export.timeoutSeconds * 1000 * timeScale),
    maxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount,
    ...overrides,
  };
}

/** What {@link createResources} created. */
export interface LocalResources {
  readonly profileTableName: string;
  readonly profileTableStreamArn: string;
  readonly stateTableName: string;
  readonly exportQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly rejectsQueueUrl: string;
  readonly decideFailuresQueueUrl: string;
  /** destination id → stream name */
  readonly streams: Readonly<Record<string, string>>;
}

/** Clients {@link createResources} needs; Kinesis clients per region (streams live in the destination's region). */
export interface ResourceClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly kinesisFor: (region: string) => KinesisClient;
}

async function createTable(
  client: DynamoDBClient,
  input: ConstructorParameters<typeof CreateTableCommand>[0],
) {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    // Idempotent: `local up` against a DynamoDB Local that already has the tables (dataDir).
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  return waitFor(`table ${input.TableName} ACTIVE`, async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
    return Table?.TableStatus === 'ACTIVE' ? Table : undefined;
  });
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`queue ${url} has no QueueArn`);
  return arn;
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (QueueUrl === undefined) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

/**
 * Creates (idempotently) the profile table with its NEW_AND_OLD_IMAGES stream, the state table
 * with TTL, the FIFO export queue with its FIFO DLQ (maxReceiveCount from the settings), the
 * rejects and decide-failures queues, and one Kinesis stream per destination.
 * @throws the SDK's error when an emulator refuses a request.
 */
export async function createResources(
  clients: ResourceClients,
  config: DestinationConfig,
  timings: LocalTimings = localTimings(),
  names: LocalResourceNames = LOCAL_RESOURCE_NAMES,
): Promise<LocalResources> {
  const [profileTable] = await Promise.all([
    createTable(clients.dynamodb, {
      TableName: names.profileTable,
      AttributeDefinitions: [{ AttributeName: 'profileId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'profileId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
    createTable(clients.dynamodb, {
      TableName: names.stateTable,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }).then(async (table) => {
      await clients.dynamodb
        .send(
          new UpdateTimeToLiveCommand({
            TableName: names.stateTable,
            TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
          }),
        )
        .catch((error: unknown) => {
          // Already enabled (re-created stack on a persisted DynamoDB Local).
          if (!/already enabled/i.test(String(error))) throw error;
        });
      return table;
    }),
  ]);
  const streamArn = profileTable.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`table ${names.profileTable} has no stream`);

  const deadLetterQueueUrl = await createQueue(clients.sqs, names.deadLetterQueue, {
    FifoQueue: 'true',
    MessageRetentionPeriod: String(PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds),
  });
  const dlqArn = await queueArn(clients.sqs, deadLetterQueueUrl);
  const [exportQueueUrl, rejectsQueueUrl, decideFailuresQueueUrl] = await Promise.all([
    createQueue(clients.sqs, names.exportQueue, {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: String(timings.exportVisibilityTimeoutSeconds),
      MessageRetentionPeriod: String(PIPELINE_SETTINGS.exportQueue.retentionSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlqArn,
        maxReceiveCount: timings.maxReceiveCount + HELD_RECEIVES_ALLOWED,
      }),
    }),
    createQueue(clients.sqs, names.rejectsQueue, {
      MessageRetentionPeriod: String(PIPELINE_SETTINGS.rejectsQueue.retentionSeconds),
    }),
    createQueue(clients.sqs, names.decideFailuresQueue, {
      MessageRetentionPeriod: String(PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds),
    }),
  ]);

  const streams: Record<string, string> = {};
  await Promise.all(
    config.destinations.map(async (destination) => {
      streams[destination.id] = destination.streamName;
      const kinesis = clients.kinesisFor(destination.region);
      try {
        await kinesis.send(new CreateStreamCommand({ StreamName: destination.streamName, ShardCount: 1 }));
      } catch (error) {
        // Two destinations may share a stream; a persisted emulator may already have it.
        if (!(error instanceof KinesisResourceInUseException)) throw error;
      }
      await waitFor(`stream ${destination.streamName} ACTIVE`, async () => {
        const { StreamDescriptionSummary } = await kinesis.send(
          new DescribeStreamSummaryCommand({ StreamName: destination.streamName }),
        );
        return StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
      });
    }),
  );

  return {
    profileTableName: names.profileTable,
    profileTableStreamArn: streamArn,
    stateTableName: names.stateTable,
    exportQueueUrl,
    deadLetterQueueUrl,
    rejectsQueueUrl,
    decideFailuresQueueUrl,
    streams,
  };
}
