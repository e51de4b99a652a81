/**
 * Rules over the ARNs and regions of a config that no single field's schema can see: every ARN and
 * every destination region in one AWS partition (a pipeline in `aws` cannot use a role, key or stream
 * of `aws-cn`: credentials and endpoints of partitions are separate), and each stream's key in the
 * stream's own region (Kinesis and DynamoDB encrypt only with a key of their region). Applied by
 * `parseConfig` (core/config.ts); exported for the construct, which knows the stack's partition.
 */

import { formatIssuePath } from './zod-issues.js';

/** Where the config is deployed, when known. */
export interface ArnRuleContext {
  /** The deploying stack's partition (`aws`, `aws-cn`, `aws-us-gov`, …). @default - not checked */
  readonly partition?: string;
}

/** The config fields the rules read (a validated config has them). */
export interface ArnRuleInput {
  readonly destinations: readonly {
    readonly id: string;
    readonly region: string;
    readonly roleArn?: string | undefined;
    readonly credentialsSecretArn?: string | undefined;
    readonly kmsKeyArn?: string | undefined;
  }[];
  readonly profileTable?:
    | { readonly streamArn?: string | undefined; readonly kmsKeyArn?: string | undefined }
    | undefined;
}

/** One broken rule: the field at fault (`destinations[0].roleArn`) and what to do. */
export interface ArnRuleIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Region name patterns of the partitions other than `aws` (from the SDKs' partition data; a region
 * that matches none is in `aws`).
 */
const REGION_PARTITIONS: readonly (readonly [RegExp, string])[] = [
  [/^cn-/, 'aws-cn'],
  [/^us-gov-/, 'aws-us-gov'],
  [/^us-iso-/, 'aws-iso'],
  [/^us-isob-/, 'aws-iso-b'],
  [/^eu-isoe-/, 'aws-iso-e'],
  [/^us-isof-/, 'aws-iso-f'],
  [/^eusc-/, 'aws-eusc'],
];

/** The AWS partition of a region (`us-east-2` → `aws`, `cn-north-1` → `aws-cn`). */
export function partitionOfRegion(region: string): string {
  return REGION_PARTITIONS.find(([pattern]) => pattern.test(region))?.[1] ?? 'aws';
}

/** The parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  /** Empty for global services (IAM). */
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** Splits an ARN into its parts; undefined when it is not one. */
export function parseArn(arn: string): ArnParts | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  if (partition === '' || service === '') return undefined;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/** A value whose partition the rule compares, and how a message names it. */
interface Located {
  readonly path: readonly (string | number)[];
  readonly value: string;
  readonly partition: string;
}

function arnItem(path: (string | number)[], arn: string | undefined): Located[] {
  if (arn === undefined) return [];
  const parts = parseArn(arn);
  return parts === undefined ? [] : [{ path, value: arn, partition: parts.partition }];
}

/** Every ARN and destination region of the config, in the order of the file. */
function locatedValues(config: ArnRuleInput): Located[] {
  const items: Located[] = [];
  config.destinations.forEach((d, i) => {
    const base = ['destinations', i];
    items.push({ path: [...base, 'region'], value: d.region, partition: partitionOfRegion(d.region) });
    items.push(...arnItem([...base, 'roleArn'], d.roleArn));
    items.push(...arnItem([...base, 'credentialsSecretArn'], d.credentialsSecretArn));
    items.push(...arnItem([...base, 'kmsKeyArn'], d.kmsKeyArn));
  });
  items.push(...arnItem(['profileTable', 'streamArn'], config.profileTable?.streamArn));
  items.push(...arnItem(['profileTable', 'kmsKeyArn'], config.profileTable?.kmsKeyArn));
  return items;
}

/**
 * One partition across every ARN and destination region: each value of another partition than the
 * deploying stack's (with a context) or than the config's first value (without) is an issue naming
 * both.
 */
function partitionIssues(config: ArnRuleInput, context: ArnRuleContext): ArnRuleIssue[] {
  const items = locatedValues(config);
  const first = items[0];
  const reference =
    context.partition !== undefined
      ? { partition: context.partition, label: 'the deploying stack' }
      : first === undefined
        ? undefined
        : { partition: first.partition, label: `${formatIssuePath(first.path)} "${first.value}"` };
  if (reference === undefined) return [];
  return items
    .filter((item) => item.partition !== reference.partition)
    .map((item) => ({
      path: item.path,
      message: `"${item.value}" is in partition ${item.partition}, but ${reference.label} is in partition ${reference.partition}: every ARN and destination region of a pipeline must be in the partition it is deployed in (a partition's credentials and endpoints do not reach another's); ${context.partition !== undefined ? `use resources of ${reference.partition}, or deploy the pipeline in ${item.partition}` : 'use resources of one partition'}`,
    }));
}

/** Each stream's key in the stream's region: a destination's `kmsKeyArn`, the profile table's key. */
function keyRegionIssues(config: ArnRuleInput): ArnRuleIssue[] {
  const issues: ArnRuleIssue[] = [];
  config.destinations.forEach((d, i) => {
    const key = d.kmsKeyArn === undefined ? undefined : parseArn(d.kmsKeyArn);
    if (key === undefined || key.region === d.region) return;
    issues.push({
      path: ['destinations', i, 'kmsKeyArn'],
      message: `is a key in ${key.region}, but the stream of destination "${d.id}" is in ${d.region}: Kinesis encrypts a stream only with a KMS key of its own region; use the stream's key in ${d.region} (a multi-Region key's replica there has its own ARN)`,
    });
  });
  const table = config.profileTable;
  const stream = table?.streamArn === undefined ? undefined : parseArn(table.streamArn);
  const tableKey = table?.kmsKeyArn === undefined ? undefined : parseArn(table.kmsKeyArn);
  if (stream !== undefined && tableKey !== undefined && stream.region !== tableKey.region) {
    issues.push({
      path: ['profileTable', 'kmsKeyArn'],
      message: `is a key in ${tableKey.region}, but the profile table's stream (profileTable.streamArn) is in ${stream.region}: DynamoDB encrypts a table only with a KMS key of its own region; use the table's key in ${stream.region}`,
    });
  }
  return issues;
}

/**
 * The partition and region rules over a validated config: one partition across every ARN and every
 * destination region (and, with `context.partition`, the deploying stack's); each stream's key in the
 * stream's region. Pure; returns no issue when the config keeps them.
 */
export function arnRuleIssues(config: ArnRuleInput, context: ArnRuleContext = {}): ArnRuleIssue[] {
  return [...partitionIssues(config, context), ...keyRegionIssues(config)];
}
