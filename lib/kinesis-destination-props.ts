import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { DestinationTarget } from './destination-target.js';

/** A segment mapped to a destination (the source page's segment mapping). */
export interface MappedSegmentProps {
  /** The id of a segment in `segmentCatalog`. */
  readonly id: string;
  /** When the segment was mapped to the destination, in UNIX epoch milliseconds. */
  readonly mappingCreatedAt: number;
  /** When the mapping was last updated, in UNIX epoch milliseconds. */
  readonly mappingUpdatedAt: number;
}

/** One destination: a Kinesis stream, the segments whose members it receives and what it exports. */
export interface DestinationProps {
  /** A short identifier: 1–40 lower-case letters, digits or `-` (`marketing`). Part of message groups and tags. */
  readonly id: string;
  /** The display name (the source page's destination name). */
  readonly name: string;
  /** @default - none */
  readonly description?: string;
  /** The stream and how it is written: `DestinationTarget.stream(…)`, `.crossAccountStream(…)`, `.accessKey(…)`, `.createStream(…)`. */
  readonly target: DestinationTarget;
  /** The mapped segments (at least one): a destination exports the members of these segments. */
  readonly segments: readonly MappedSegmentProps[];
  /**
   * The profile attributes exported, as field paths (`person.name.firstName`); `identityMap` and
   * `segmentMembership` are always exported.
   * @default - none
   */
  readonly attributes?: readonly string[];
  /**
   * Add each segment's name to `segmentMembership` (the source page's "include segment names").
   * @default false
   */
  readonly includeSegmentNames?: boolean;
  /**
   * Add each segment's creation and update times (the source page's "include segment timestamps").
   * @default false
   */
  readonly includeSegmentTimestamps?: boolean;
}

/** A segment of the catalog: what the payload says about it, and the merge policy it belongs to. */
export interface CatalogSegmentProps {
  readonly id: string;
  readonly name: string;
  /** The merge policy the segment is evaluated with: its other segments are exported with it. */
  readonly mergePolicyId: string;
  /** UNIX epoch milliseconds. */
  readonly createdAt: number;
  /** UNIX epoch milliseconds. */
  readonly updatedAt: number;
}

/** Props of the `KinesisDestination` construct (lib/kinesis-destination.ts). */
export interface KinesisDestinationProps {
  /** The destinations. Validated at synth: an error names the prop path and the fix. */
  readonly destinations: readonly DestinationProps[];
  /** The segments the destinations map, with their merge policy. */
  readonly segmentCatalog: readonly CatalogSegmentProps[];
  /**
   * This pipeline's name, unique in its account and region: its metrics' and alarms' `pipeline`
   * dimension, the default prefix of its stack outputs (PascalCase) and of its fixed names — the
   * backfill function `<name>-backfill` and the roles `<name>-export-<region>`, `<name>-check-<region>`
   * (the first 36 characters of the name) that cross-account trust policies name. Letters, digits and
   * `-`. It does not depend on where the construct sits in the tree: moving the construct keeps it.
   * @default - `<stack name>-<construct id>` (shortened with a hash beyond 36 characters)
   */
  readonly pipelineName?: string;
  /**
   * The export role's name, for a trust policy that must name it exactly.
   * @default - `<pipelineName>-export-<region>`
   */
  readonly exportRoleName?: string;
  /**
   * The connection check's role's name (it assumes cross-account roles too).
   * @default - `<pipelineName>-check-<region>`
   */
  readonly connectionCheckRoleName?: string;
  /**
   * The prefix of the stack outputs the construct writes (`<prefix>ExportQueueUrl`, …), which the
   * CLI reads with `--stack` (and `--pipeline <pipelineName>` when the stack holds several). `''`:
   * the unprefixed names of the default stack — one pipeline per stack only.
   * @default - the pipeline name in PascalCase (`staging-eu` → `StagingEu`)
   */
  readonly outputPrefix?: string;
  /**
   * The expected peak of profile writes per second: the decide mapping's parallelization factor and
   * the export mapping's maximum concurrency are derived from it (`plan` shows the rest).
   * @default 200
   */
  readonly peakWritesPerSecond?: number;
  /**
   * The typical export document size in bytes (sizes Kinesis shards in the derived settings).
   * @default 6000
   */
  readonly documentBytes?: number;
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
   * A state table to adopt instead of creating one: the delivery ledger, failure log and backfill
   * checkpoints of an earlier deployment (e.g. the table a deleted stack kept), so a redeployed
   * pipeline keeps its ledger — a redrive of old dead letters then cannot overwrite newer exports.
   * Partition key `pk` (string), TTL on `ttl` (docs/DEPLOY.md, "Keeping the state table across a
   * redeploy", which also shows the `cdk import` alternative).
   * @default - a new table (STATE_TABLE_PROPS), with `dataRemovalPolicy`
   */
  readonly existingStateTable?: dynamodb.ITable;
  /**
   * The key of the queues, the alarm topic the construct creates, and the log groups. The construct
   * adds its two statements (CloudWatch alarms, CloudWatch Logs) to a key of this app; an imported
   * key's policy must already allow them (docs/DEPLOY.md).
   * @default - a new customer-managed key with rotation
   */
  readonly existingEncryptionKey?: kms.IKey;
  /**
   * The topic the alarms notify. CloudWatch alarms must be able to publish to it, and to use its key
   * (docs/DEPLOY.md, "What an existing alarm topic needs"); the construct adds both to a topic and key
   * of this app. `alertEmails` are subscribed to it.
   * @default - a new topic encrypted with the pipeline key, TLS only
   */
  readonly existingAlarmTopic?: sns.ITopic;
  /**
   * What deleting the stack, or replacing one of them, does to the resources that hold undelivered
   * exports and delivery state: the export queue, the dead-letter, rejects and failure queues, the
   * state table and the streams the construct creates (the profile table has its own,
   * `profileTableProps.removalPolicy`). `RETAIN_ON_UPDATE_OR_DELETE` keeps them on delete and on
   * replacement, and deletes them only when their own creation is rolled back. `RETAIN` keeps those
   * too; `DESTROY` deletes them with their messages and records, and the Elastic IPs of
   * `staticEgressIps` too (test stacks). `SNAPSHOT` is refused: queues and streams have no snapshot.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * Run the export function and the connection check in a VPC whose NAT gateways hold one Elastic IP
   * per availability zone (two; output `StaticEgressIps`), for partners who allowlist source IPs.
   * The Elastic IPs are retained when the stack is deleted. docs/DEPLOY.md, "Static egress IPs".
   * @default false: the functions reach AWS from Lambda's shared addresses
   */
  readonly staticEgressIps?: boolean;
  /**
   * Elastic IPs you allocated (`eipalloc-…`), two, for the NAT gateways instead of new ones: e.g.
   * those a deleted stack kept, so the partner's allowlist survives a redeploy. With `staticEgressIps`.
   * @default - two new Elastic IPs, retained
   */
  readonly elasticIpAllocationIds?: readonly string[];
  /**
   * Add an interface endpoint for Kinesis Data Streams in the stack's region, for `aws:SourceVpce`
   * allowlists (through it, `aws:SourceIp` is absent). With `staticEgressIps`.
   * @default false
   */
  readonly kinesisEndpoint?: boolean;
  /**
   * Roles of the operators who redrive dead letters (`npx kinesis-destination dlq redrive`): SQS's
   * message move task sends to the export queue as the operator, and the export queue's policy denies
   * `sqs:SendMessage` to every principal but the pipeline's own roles and these. Each is granted what
   * `dlq list` and `dlq redrive` need (`grantRedrive`) — a role the app may not change (imported with
   * `mutable: false`, e.g. an IAM Identity Center role, whose permission set grants them) is only let
   * through the queue policy.
   * @default - none: only the pipeline's functions may send to the export queue
   */
  readonly operatorRoles?: readonly iam.IRole[];
}
