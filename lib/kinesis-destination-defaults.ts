import { fileURLToPath } from 'node:url';
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { STATE_TABLE_ATTRIBUTE } from '../core/state-records.js';
import { cloudWatchAlarmsKeyStatement } from './alarm-topic.js';

/**
 * The defaults of `KinesisDestination`, in one place (the AWS Solutions Constructs
 * `core/lib/*-defaults.ts` style): what the construct creates when the user brings nothing, and the
 * one function that merges what the user does bring.
 */

/**
 * The directories of the pipeline functions' prebundled code, by function; each holds `index.mjs`
 * exporting `handler` (lib/pipeline-function.ts).
 */
export interface HandlerEntries {
  readonly decide: string;
  readonly export: string;
  readonly backfill: string;
  readonly connectionCheck: string;
}

/**
 * The folder of each function under `lambdas/` (its source entry is `lambdas/<folder>/handler.ts`)
 * and under `dist/handlers/` (its bundle), by function.
 */
export const HANDLER_FOLDERS: HandlerEntries = {
  decide: 'decide',
  export: 'export',
  backfill: 'backfill',
  connectionCheck: 'connection-check',
};

/** The package's prebundled handlers (`dist/handlers/<folder>/`), built at package build. */
export const DEFAULT_ENTRIES: HandlerEntries = {
  decide: handlerBundle(HANDLER_FOLDERS.decide),
  export: handlerBundle(HANDLER_FOLDERS.export),
  backfill: handlerBundle(HANDLER_FOLDERS.backfill),
  connectionCheck: handlerBundle(HANDLER_FOLDERS.connectionCheck),
};

/**
 * `dist/handlers/<folder>` of the package. The compiled module sits in `dist/esm/lib/` or
 * `dist/cjs/lib/` (two levels below `dist/`); run from source (tsx, vitest), it sits in `lib/`.
 */
function handlerBundle(folder: string): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(
    new URL(fromSource ? `../dist/handlers/${folder}` : `../../handlers/${folder}`, import.meta.url),
  );
}

/** The partition key every profile item has (the profile writer, decide and the backfill rely on it). */
export const PROFILE_PARTITION_KEY: dynamodb.Attribute = {
  name: 'profileId',
  type: dynamodb.AttributeType.STRING,
};

/** decide compares the old and the new image of every change. */
export const PROFILE_STREAM_VIEW = dynamodb.StreamViewType.NEW_AND_OLD_IMAGES;

/** The profile table the construct creates when none is given. */
export const DEFAULT_PROFILE_TABLE_PROPS: dynamodb.TableProps = {
  partitionKey: PROFILE_PARTITION_KEY,
  stream: PROFILE_STREAM_VIEW,
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  // AWS managed key (aws/dynamodb) rather than the pipeline key: every upstream writer in the
  // account can write without a grant on a key this stack owns, and the key's use is still
  // logged in CloudTrail. Pass existingProfileTable (or profileTableProps.encryption) for your own key.
  encryption: dynamodb.TableEncryption.AWS_MANAGED,
  deletionProtection: true,
  // The system of record for profiles: never deleted with the stack.
  removalPolicy: RemovalPolicy.RETAIN,
};

/**
 * The problems of the user's `profileTableProps`: changes to what the pipeline depends on — the
 * partition key, a sort key, or the stream view type.
 */
export function profileTablePropsIssues(user: Partial<dynamodb.TableProps> = {}): string[] {
  const issues: string[] = [];
  const pk = user.partitionKey;
  if (
    pk !== undefined &&
    (pk.name !== PROFILE_PARTITION_KEY.name || pk.type !== PROFILE_PARTITION_KEY.type)
  ) {
    issues.push(
      'profileTableProps.partitionKey: must be { name: "profileId", type: STRING }: the profile writer, decide and the backfill key profiles by profileId; leave partitionKey out',
    );
  }
  if (user.sortKey !== undefined) {
    issues.push(
      'profileTableProps.sortKey: is not supported: one item per profile, keyed by profileId alone; leave sortKey out',
    );
  }
  if (user.stream !== undefined && user.stream !== PROFILE_STREAM_VIEW) {
    issues.push(
      `profileTableProps.stream: must be NEW_AND_OLD_IMAGES (decide compares both images), not ${user.stream}; leave stream out`,
    );
  }
  return issues;
}

/**
 * The user's `profileTableProps` over {@link DEFAULT_PROFILE_TABLE_PROPS} (a shallow merge, as
 * Solutions Constructs' `consolidateProps`), once {@link profileTablePropsIssues} found none.
 */
export function consolidateProfileTableProps(user: Partial<dynamodb.TableProps> = {}): dynamodb.TableProps {
  return { ...DEFAULT_PROFILE_TABLE_PROPS, ...user };
}

/** The CloudFormation table of a table of this app, if it is one (an imported table has none). */
function cfnTableOf(table: dynamodb.ITable): dynamodb.CfnTable | undefined {
  const cfn = table.node.defaultChild;
  return cfn instanceof dynamodb.CfnTable ? cfn : undefined;
}

function keySchemaOf(cfn: dynamodb.CfnTable): dynamodb.CfnTable.KeySchemaProperty[] {
  return Array.isArray(cfn.keySchema) ? (cfn.keySchema as dynamodb.CfnTable.KeySchemaProperty[]) : [];
}

/**
 * The problems of an existing profile table: it must have a stream, and when it is a table of this
 * app, that stream must carry both images and the key must be `profileId`.
 */
export function existingProfileTableIssues(table: dynamodb.ITable): string[] {
  if (table.tableStreamArn === undefined) {
    return [
      'existingProfileTable: has no stream: create it with stream: StreamViewType.NEW_AND_OLD_IMAGES, or import it with Table.fromTableAttributes({ tableName, tableStreamArn })',
    ];
  }
  const cfn = cfnTableOf(table);
  if (cfn === undefined) return [];
  const issues: string[] = [];
  const stream = cfn.streamSpecification as dynamodb.CfnTable.StreamSpecificationProperty | undefined;
  if (typeof stream?.streamViewType === 'string' && stream.streamViewType !== PROFILE_STREAM_VIEW) {
    issues.push(
      `existingProfileTable: its stream is ${stream.streamViewType}: decide needs NEW_AND_OLD_IMAGES (stream: StreamViewType.NEW_AND_OLD_IMAGES)`,
    );
  }
  const keys = keySchemaOf(cfn);
  const hash = keys.find((k) => k.keyType === 'HASH');
  if (hash !== undefined && (hash.attributeName !== PROFILE_PARTITION_KEY.name || keys.length > 1)) {
    issues.push(
      `existingProfileTable: is keyed by ${keys.map((k) => k.attributeName).join(' + ')}: the pipeline needs partition key "profileId" (string) and no sort key`,
    );
  }
  return issues;
}

/**
 * The problems of an existing state table of this app: it must be keyed by `pk` alone and expire
 * items on `ttl`, as {@link STATE_TABLE_PROPS} creates it. An imported table is taken as it is (the
 * one an earlier deployment of this construct created).
 */
export function existingStateTableIssues(table: dynamodb.ITable): string[] {
  const cfn = cfnTableOf(table);
  if (cfn === undefined) return [];
  const issues: string[] = [];
  const keys = keySchemaOf(cfn);
  const hash = keys.find((k) => k.keyType === 'HASH');
  if (hash !== undefined && (hash.attributeName !== STATE_TABLE_ATTRIBUTE.partitionKey || keys.length > 1)) {
    issues.push(
      `existingStateTable: is keyed by ${keys.map((k) => k.attributeName).join(' + ')}: the state table has partition key "${STATE_TABLE_ATTRIBUTE.partitionKey}" (string) and no sort key (STATE_TABLE_PROPS)`,
    );
  }
  const ttl = cfn.timeToLiveSpecification as dynamodb.CfnTable.TimeToLiveSpecificationProperty | undefined;
  if (
    ttl !== undefined &&
    typeof ttl.attributeName === 'string' &&
    ttl.attributeName !== STATE_TABLE_ATTRIBUTE.timeToLive
  ) {
    issues.push(
      `existingStateTable: expires items on "${ttl.attributeName}": the pipeline writes expiries to "${STATE_TABLE_ATTRIBUTE.timeToLive}" (timeToLiveAttribute: "${STATE_TABLE_ATTRIBUTE.timeToLive}")`,
    );
  }
  return issues;
}

/**
 * The removal policy of what holds undelivered exports and delivery state (queues, state table,
 * created streams): kept on stack deletion and on replacement, deleted only when its own creation
 * is rolled back (CloudFormation's `RetainExceptOnCreate` with `UpdateReplacePolicy: Retain`).
 */
export const DEFAULT_DATA_REMOVAL_POLICY = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/** The construct's `dataRemovalPolicy`, or the default (SNAPSHOT is refused with the other props' problems). */
export function dataRemovalPolicyOf(policy: RemovalPolicy | undefined): RemovalPolicy {
  return policy ?? DEFAULT_DATA_REMOVAL_POLICY;
}

/** The state table: delivery ledger, failure log, backfill checkpoints (core/state-records.ts). */
export const STATE_TABLE_PROPS: dynamodb.TableProps = {
  partitionKey: { name: STATE_TABLE_ATTRIBUTE.partitionKey, type: dynamodb.AttributeType.STRING },
  timeToLiveAttribute: STATE_TABLE_ATTRIBUTE.timeToLive,
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  // AWS managed key: callers need no KMS permission, key use is logged in CloudTrail.
  encryption: dynamodb.TableEncryption.AWS_MANAGED,
  // The delivery ledger keeps redriven and backfilled exports from going back in time, and the
  // failure log explains the dead letters: kept with the queues (the construct's dataRemovalPolicy).
  removalPolicy: DEFAULT_DATA_REMOVAL_POLICY,
};

/**
 * The pipeline key the construct creates when none is given. One customer-managed key for the
 * queues (their messages are export documents: personal data), the alert topic and the log groups.
 * A customer-managed key is required for the latter two: CloudWatch alarms cannot publish to a topic
 * under `aws/sns`, and CloudWatch Logs has no AWS managed key. One key costs $1 a month.
 */
export const PIPELINE_KEY_PROPS: kms.KeyProps = {
  description: 'kinesis-destination: queues, alert topic and logs',
  enableKeyRotation: true,
};

/**
 * The key policy statements the pipeline key needs: CloudWatch alarms of this account publish to the
 * encrypted alert topic, CloudWatch Logs encrypts the log groups of this account and region. Added to the created key
 * and to an `existingEncryptionKey` of this app; an imported key must already allow both.
 */
export function pipelineKeyStatements(): iam.PolicyStatement[] {
  return [
    cloudWatchAlarmsKeyStatement(),
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
        },
      },
    }),
  ];
}
