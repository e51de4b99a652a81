import { Stack, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  CreatedStreamMode,
  type DestinationTarget,
  type DestinationTargetKind,
} from './destination-target.js';
import type { DestinationProps } from './kinesis-destination-props.js';

/**
 * A destination's typed target turned into the config file's fields (lib/props-resolution.ts
 * validates them with `parseConfig`): literal values as they are, values known only at deploy time
 * (tokens: a stream, role, key or secret made in the same app) set apart, to reach the functions
 * through their environment (`KD_CONFIG_OVERRIDES`) instead of the config layer.
 */

/** The config fields a target sets that may be deploy-time values (tokens). */
export const DEPLOY_TIME_FIELDS = [
  'streamName',
  'region',
  'accountId',
  'roleArn',
  'externalId',
  'credentialsSecretArn',
  'credentialsSecretKmsKeyArn',
  'kmsKeyArn',
] as const;

export type DeployTimeField = (typeof DEPLOY_TIME_FIELDS)[number];

/**
 * The longest a deploy-time value of each field can be once resolved, for the environment's size
 * check: AWS's limits (a stream name 128, a role ARN with a 512-character path and a 64-character
 * name, a secret ARN with a 512-character name, the config's 1,224 for an external id), so the check
 * never passes an environment Lambda would refuse.
 */
export const DEPLOY_TIME_MAX_LENGTH: Readonly<Record<DeployTimeField, number>> = {
  streamName: 128,
  region: 20,
  accountId: 12,
  roleArn: 620,
  externalId: 1224,
  credentialsSecretArn: 600,
  credentialsSecretKmsKeyArn: 128,
  kmsKeyArn: 128,
};

/** A destination's target as CDK objects, for grants and the connection check. */
export interface ResolvedTarget {
  readonly kind: DestinationTargetKind;
  /** The stream given as an `IStream`. */
  readonly stream?: kinesis.IStream;
  /** The key that encrypts the stream (given, or the stream's own). */
  readonly key?: kms.IKey;
  readonly role?: iam.IRole;
  readonly secret?: secretsmanager.ISecret;
  /** The key that encrypts the secret (given, or the secret's own). */
  readonly secretKey?: kms.IKey;
  /** A created stream's region when the target names one (checked at deploy time). */
  readonly createdRegion?: string;
}

/** A destination as a config document, with its deploy-time values set apart. */
export interface DestinationDocument {
  /** The config file's destination, deploy-time values in place (tokens). */
  readonly document: Record<string, unknown>;
  /** The deploy-time values, by field. */
  readonly deployTime: Partial<Record<DeployTimeField, string>>;
  readonly target: ResolvedTarget;
  /** Problems of the target's options, with their prop path. */
  readonly issues: readonly string[];
}

const defined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * The config file's destination for `props` (at `destinations[index]`).
 * @param scope the construct: its stack's region and account are the defaults.
 */
export function destinationDocument(
  scope: Construct,
  props: DestinationProps,
  index: number,
): DestinationDocument {
  const path = `destinations[${index}]`;
  const issues: string[] = [];
  for (const field of ['id', 'name', 'description'] as const) {
    const value = props[field];
    if (value !== undefined && Token.isUnresolved(value)) {
      issues.push(`${path}.${field}: must be a literal string, not a value known only at deploy time`);
    }
  }
  const located = targetFields(scope, props.target, `${path}.target`, issues);
  const document = {
    ...defined({ id: props.id, name: props.name, description: props.description }),
    ...located.fields,
    segments: props.segments,
    attributes: props.attributes ?? [],
    includeSegmentNames: props.includeSegmentNames ?? false,
    includeSegmentTimestamps: props.includeSegmentTimestamps ?? false,
  };
  const deployTime: Partial<Record<DeployTimeField, string>> = {};
  for (const field of DEPLOY_TIME_FIELDS) {
    const value = (document as Record<string, unknown>)[field];
    if (typeof value === 'string' && Token.isUnresolved(value)) deployTime[field] = value;
  }
  return { document, deployTime, target: located.target, issues };
}

/** The config fields of a target, and its CDK objects. */
function targetFields(
  scope: Construct,
  target: DestinationTarget,
  path: string,
  issues: string[],
): { fields: Record<string, unknown>; target: ResolvedTarget } {
  const stack = Stack.of(scope);
  if (target.created !== undefined) {
    const c = target.created;
    const mode = c.mode ?? CreatedStreamMode.ON_DEMAND;
    if (c.shardCount !== undefined && mode !== CreatedStreamMode.PROVISIONED) {
      issues.push(`${path}.shardCount: is only used with mode PROVISIONED; remove it, or set mode`);
    }
    let retentionHours = 24;
    if (c.retention !== undefined) {
      try {
        retentionHours = c.retention.toHours();
      } catch {
        issues.push(`${path}.retention: must be a whole number of hours (24 to 8,760)`);
      }
    }
    return {
      fields: {
        streamName: c.streamName,
        region: c.region ?? stack.region,
        ...defined({ kmsKeyArn: c.encryptionKey?.keyArn }),
        createStream: { mode, retentionHours, ...defined({ shardCount: c.shardCount }) },
      },
      target: {
        kind: target.kind,
        ...defined({ key: c.encryptionKey, createdRegion: c.region }),
      },
    };
  }

  const e = target.existing ?? {};
  const stream = e.stream;
  if ((stream === undefined) === (e.streamName === undefined)) {
    issues.push(
      `${path}: give either stream (an IStream) or streamName, ${stream === undefined ? 'not neither' : 'not both'}`,
    );
  }
  if (stream !== undefined && (e.region !== undefined || e.account !== undefined)) {
    issues.push(`${path}: region and account are read from stream; give them only with streamName`);
  }
  const account = stream === undefined ? e.account : stream.env.account;
  const key = e.encryptionKey ?? stream?.encryptionKey;
  const cross = target.crossAccount;
  const secret = target.accessKeySecret;
  const secretKey = secret === undefined ? undefined : (secret.secretKey ?? secret.secret.encryptionKey);
  return {
    fields: {
      streamName: stream?.streamName ?? e.streamName,
      region: stream?.env.region ?? e.region ?? stack.region,
      // The deploying account is the config's default: left out, as a config file would.
      ...(account === undefined || account === stack.account ? {} : { accountId: account }),
      ...defined({
        kmsKeyArn: key?.keyArn,
        roleArn: cross?.role.roleArn,
        externalId: cross?.externalId,
        noExternalIdReason: cross?.noExternalIdReason,
        credentialsSecretArn: secret?.secret.secretArn,
        credentialsSecretKmsKeyArn: secretKey?.keyArn,
      }),
    },
    target: {
      kind: target.kind,
      ...defined({ stream, key, role: cross?.role, secret: secret?.secret, secretKey }),
    },
  };
}

/** A region of each partition, for placeholders that must sit in the partition of the config's literal ARNs. */
const PARTITION_REGION: Readonly<Record<string, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-iso': 'us-iso-east-1',
  'aws-iso-b': 'us-isob-east-1',
};

/** The partition of the first literal ARN among the documents (their deploy-time values left out), else `aws`. */
export function literalPartition(documents: readonly DestinationDocument[]): string {
  for (const d of documents) {
    for (const [field, value] of Object.entries(d.document)) {
      if (field in d.deployTime || typeof value !== 'string') continue;
      const partition = /^arn:(aws[a-z-]*):/.exec(value)?.[1];
      if (partition !== undefined && partition in PARTITION_REGION) return partition;
    }
  }
  return 'aws';
}

/**
 * The destination document with each deploy-time value replaced by a literal that validates: in
 * `partition` (the config's literal ARNs'), and in the destination's own region (its literal one, else
 * that partition's first), so the config's partition and region rules judge the literal values only.
 */
export function validationDocument(d: DestinationDocument, partition = 'aws'): Record<string, unknown> {
  const literalRegion = d.deployTime.region === undefined ? d.document.region : undefined;
  const region =
    typeof literalRegion === 'string' ? literalRegion : (PARTITION_REGION[partition] ?? 'us-east-1');
  const account = '000000000000';
  const placeholder: Readonly<Record<DeployTimeField, string>> = {
    streamName: 'deploy-time-stream',
    region,
    accountId: account,
    roleArn: `arn:${partition}:iam::${account}:role/deploy-time`,
    externalId: 'deploy-time-external-id',
    credentialsSecretArn: `arn:${partition}:secretsmanager:${region}:${account}:secret:deploy-time-AbCdEf`,
    credentialsSecretKmsKeyArn: `arn:${partition}:kms:${region}:${account}:key/deploy-time`,
    kmsKeyArn: `arn:${partition}:kms:${region}:${account}:key/deploy-time`,
  };
  return {
    ...d.document,
    ...Object.fromEntries(Object.keys(d.deployTime).map((f) => [f, placeholder[f as DeployTimeField]])),
  };
}

/**
 * Where a config issue's path points among the props: `destinations[0].streamName` is the target's
 * stream name, `throughput.peakWritesPerSecond` the flat `peakWritesPerSecond`, and so on.
 */
const PROP_PATHS: readonly [RegExp, string][] = [
  [/^(destinations\[\d+\])\.streamName\b/, '$1.target.streamName'],
  [/^(destinations\[\d+\])\.region\b/, '$1.target.region'],
  [/^(destinations\[\d+\])\.accountId\b/, '$1.target.account'],
  [/^(destinations\[\d+\])\.roleArn\b/, '$1.target.role'],
  [/^(destinations\[\d+\])\.(externalId|noExternalIdReason)\b/, '$1.target.$2'],
  [/^(destinations\[\d+\])\.credentialsSecretArn\b/, '$1.target.secret'],
  [/^(destinations\[\d+\])\.credentialsSecretKmsKeyArn\b/, '$1.target.secretKey'],
  [/^(destinations\[\d+\])\.kmsKeyArn\b/, '$1.target.encryptionKey'],
  [/^(destinations\[\d+\])\.createStream\.retentionHours\b/, '$1.target.retention'],
  [/^(destinations\[\d+\])\.createStream\.(\w+)/, '$1.target.$2'],
  [/^(destinations\[\d+\])\.createStream\b/, '$1.target'],
  [/^throughput\.(\w+)/, '$1'],
  [/^alerts\.emails/, 'alertEmails'],
];

/** A config issue (`path: problem`) with its path written as the prop path. */
export function propIssue(issue: string): string {
  for (const [pattern, replacement] of PROP_PATHS) {
    if (pattern.test(issue)) return issue.replace(pattern, replacement);
  }
  return issue;
}
