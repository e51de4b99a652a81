import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { z } from 'zod';
import { type configSchema, type DestinationConfig, parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { HandlerEntries } from './kinesis-destination-defaults.js';

/** One destination as written in the config file's `destinations` (defaults not yet applied). */
export type DestinationInput = z.input<typeof configSchema>['destinations'][number];
/** One segment as written in the config file's `segmentCatalog`. */
export type CatalogSegmentInput = z.input<typeof configSchema>['segmentCatalog'][number];
export type ThroughputInput = NonNullable<z.input<typeof configSchema>['throughput']>;

/** Props of the `KinesisDestination` construct (lib/kinesis-destination.ts). */
export interface KinesisDestinationProps {
  /**
   * The destinations: their Kinesis streams, mapped segments and attributes — the config file's
   * `destinations` (README, "The destination config"). Validated with `parseConfig` at synth: an
   * error names the path and the fix (`destinations[0].streamName: is not a Kinesis stream name`).
   */
  readonly destinations: readonly DestinationInput[];
  /** The segments the destinations map, with their merge policy: the config file's `segmentCatalog`. */
  readonly segmentCatalog: readonly CatalogSegmentInput[];
  /**
   * The expected peak (`peakWritesPerSecond`) and document size: the mappings' parallelization factor
   * and maximum concurrency are derived from it (core/throughput-settings.ts; `plan` shows the rest).
   * @default - 200 writes/s, 6,000-byte documents (PIPELINE_SETTINGS.throughput)
   */
  readonly throughput?: ThroughputInput;
  /**
   * E-mail addresses subscribed to the alarm topic (each confirms the e-mail AWS sends).
   * @default - no subscription
   */
  readonly alertEmails?: readonly string[];
  /**
   * The profile table the pipeline reads: it must have a `NEW_AND_OLD_IMAGES` stream and partition
   * key `profileId` (string). The construct only reads it (stream, Scan, DescribeTable); its
   * removal policy, encryption and backups stay yours. Not with `profileTableProps`.
   * @default - a new table from `profileTableProps`
   */
  readonly existingProfileTable?: dynamodb.ITable;
  /**
   * Overrides of the table the construct creates (e.g. `tableName`). Partition key, sort key and
   * stream are fixed. Not with `existingProfileTable`.
   * @default - DEFAULT_PROFILE_TABLE_PROPS: `profileId`, NEW_AND_OLD_IMAGES stream, on demand, PITR,
   *   `aws/dynamodb`, deletion protection, retained
   */
  readonly profileTableProps?: Partial<dynamodb.TableProps>;
  /**
   * The key of the queues, the alarm topic the construct creates, and the log groups. The construct
   * adds its two statements (CloudWatch alarms, CloudWatch Logs) to a key of this app; an imported
   * key's policy must already allow them (docs/DEPLOY.md).
   * @default - a new customer-managed key with rotation
   */
  readonly existingEncryptionKey?: kms.IKey;
  /**
   * The topic the alarms notify. If encrypted, its key policy must let `cloudwatch.amazonaws.com`
   * use the key. `alertEmails` are subscribed to it.
   * @default - a new topic encrypted with the pipeline key, TLS only
   */
  readonly existingAlarmTopic?: sns.ITopic;
  /**
   * What deleting the stack, or replacing one of them, does to the resources that hold undelivered
   * exports and delivery state: the export queue, the dead-letter, rejects and failure queues, the
   * state table and the streams the construct creates (the profile table has its own,
   * `profileTableProps.removalPolicy`). `RETAIN_ON_UPDATE_OR_DELETE` keeps them on delete and on
   * replacement, and deletes them only when their own creation is rolled back — new and empty, so a
   * failed first deploy leaves nothing behind to clean up. `RETAIN` keeps those too; `DESTROY`
   * deletes them with their messages and records (test stacks). `SNAPSHOT` is refused: queues and
   * streams have no snapshot.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * Static egress IPs (the source page's allowlisting): `staticEgressIps` runs the export function
   * and the connection check in a VPC whose NAT gateways hold one Elastic IP per availability zone
   * (two: the construct's `staticEgressIps`); `kinesisEndpoint` adds an interface endpoint for
   * Kinesis Data Streams in the stack's region, for `aws:SourceVpce` allowlists (through it,
   * `aws:SourceIp` is absent). docs/DEPLOY.md, "Static egress IPs".
   * @default - no VPC: the functions reach AWS from Lambda's shared addresses
   */
  readonly network?: {
    readonly staticEgressIps?: boolean;
    readonly kinesisEndpoint?: boolean;
  };
  /**
   * Directories of the functions' prebundled handlers (tests pass stand-ins).
   * @default - DEFAULT_ENTRIES, the package's dist/handlers/
   */
  readonly entries?: Partial<HandlerEntries>;
}

/**
 * The props' destinations and catalog validated as a config document, so the messages are the config
 * file's (`destinations[0].streamName: …`); `alertEmails` problems are named by the prop.
 * @param path the construct's path, which prefixes every message.
 * @throws ConfigError with one `KinesisDestination <path>: <prop path>: <problem and fix>` line per issue.
 */
export function validatedConfig(props: KinesisDestinationProps, path: string): DestinationConfig {
  const document = {
    destinations: props.destinations,
    segmentCatalog: props.segmentCatalog,
    ...(props.alertEmails === undefined ? {} : { alerts: { emails: props.alertEmails } }),
    ...(props.throughput === undefined ? {} : { throughput: props.throughput }),
  };
  try {
    return parseConfig(document);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues = error.issues.map(
      (i) => `KinesisDestination ${path}: ${i.replace(/^alerts\.emails/, 'alertEmails')}`,
    );
    throw new ConfigError(issues, { cause: error });
  }
}
