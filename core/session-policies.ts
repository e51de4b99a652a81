/**
 * Session policies for the cross-account roles the pipeline assumes (`AssumeRole`'s `Policy`): the
 * session may do at most what the policy allows, whatever the partner's role grants — so a role
 * granted `kinesis:*` (or a stream written by several pipelines) lends the exporter only the puts to
 * its own stream, and the deploy-time connection check only reads. A session policy never grants
 * more than the role's own policies.
 *
 * Pure builders, shared by the exporter (adapters/aws-clients.ts), the connection check
 * (lambdas/connection-check/) and the construct's template tests.
 */

import { partitionOfRegion } from './arn-rules.js';
import type { Destination } from './config.js';
import { streamAccountOf, streamArn } from './stream-arn.js';

/** An IAM policy document (the subset these policies use). */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** One statement of a {@link PolicyDocument}. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** What a destination's session may reach. */
export interface SessionPolicyTarget {
  /** The destination's stream (in the role's account: a role lives beside its stream). */
  readonly streamArn: string;
  /** The stream's region. */
  readonly region: string;
  /** The stream's customer-managed key, when the config names it. @default - any key of the stream's account and region, used through Kinesis only */
  readonly kmsKeyArn?: string | undefined;
}

/**
 * The target of a destination written through an assumed role (`roleArn`): its stream in the
 * stream's account (`accountId`, else the role's), its region and key; undefined for a destination
 * written otherwise (an access key's user session takes no session policy).
 */
export function sessionPolicyTargetOf(
  d: Pick<Destination, 'region' | 'streamName' | 'accountId' | 'roleArn' | 'kmsKeyArn'>,
): SessionPolicyTarget | undefined {
  const account = streamAccountOf(d);
  if (d.roleArn === undefined || account === undefined) return undefined;
  return { streamArn: streamArn(d, account), region: d.region, kmsKeyArn: d.kmsKeyArn };
}

/** DNS suffixes of the partitions whose service names differ from `amazonaws.com`. */
const DNS_SUFFIXES: Readonly<Record<string, string>> = { 'aws-cn': 'amazonaws.com.cn' };

/**
 * The `kms:ViaService` value of a service in a region: `kinesis.us-east-2.amazonaws.com`
 * (`….amazonaws.com.cn` in China). The ISO partitions' suffixes are not listed here: they are taken
 * to be `amazonaws.com` too, which a partner there must check against the KMS documentation.
 */
export function kmsViaService(service: string, region: string): string {
  return `${service}.${region}.${DNS_SUFFIXES[partitionOfRegion(region)] ?? 'amazonaws.com'}`;
}

/**
 * The values a `kms:ViaService` condition accepts for a service in a region (any of them matches).
 * In China both `….amazonaws.com.cn` and `….amazonaws.com` are listed: the KMS documentation's
 * examples use the global suffix, the service endpoints the `.cn` one, and which one KMS reports
 * there is not certain — a condition that missed it would make every export fail, while either value
 * still names only that service in that region.
 */
export function kmsViaServiceValues(service: string, region: string): readonly string[] {
  const primary = kmsViaService(service, region);
  const global = `${service}.${region}.amazonaws.com`;
  return primary === global ? [primary] : [primary, global];
}

function viaService(service: string, region: string): string | readonly string[] {
  const values = kmsViaServiceValues(service, region);
  return values.length === 1 ? (values[0] as string) : values;
}

/** The stream's account, from its ARN. */
function accountOf(streamArn: string): string {
  return streamArn.split(':')[4] ?? '*';
}

/**
 * `kms:GenerateDataKey` through Kinesis only (`kms:ViaService`): on the configured key, or — when the
 * config names none (an unencrypted stream, or one under the AWS managed key `aws/kinesis`) — on the
 * keys of the stream's account and region. Kinesis asks KMS for a data key with the producer's
 * identity, so the session must allow it; the condition keeps the session from using a key directly.
 */
function encryptStatement(target: SessionPolicyTarget): PolicyStatement {
  const partition = partitionOfRegion(target.region);
  return {
    Sid: 'EncryptThroughKinesis',
    Effect: 'Allow',
    Action: ['kms:GenerateDataKey'],
    Resource:
      target.kmsKeyArn ?? `arn:${partition}:kms:${target.region}:${accountOf(target.streamArn)}:key/*`,
    Condition: { StringEquals: { 'kms:ViaService': viaService('kinesis', target.region) } },
  };
}

/**
 * The exporter's session policy: `kinesis:PutRecord` and `kinesis:PutRecords` on the destination's
 * stream, and `kms:GenerateDataKey` through Kinesis on its key. `kinesis:ListStreams`, which the
 * source page's policy also lists, is left out: the platform's connection check calls it, never the
 * exporter (the connection check's own session has it).
 */
export function exporterSessionPolicy(target: SessionPolicyTarget): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PutToTheDestinationStream',
        Effect: 'Allow',
        Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: target.streamArn,
      },
      encryptStatement(target),
    ],
  };
}

/**
 * The connection check's session policy, read-only: `kinesis:ListStreams` (the source page's
 * check; it takes no stream resource), `kinesis:DescribeStreamSummary` on the stream (its status,
 * key, record distribution strategy and record size), and `kms:DescribeKey` on the keys of the
 * stream's account and region (the stream may name its key by an alias, which only DescribeKey
 * resolves). No put, and no key use.
 */
export function connectionCheckSessionPolicy(target: SessionPolicyTarget): PolicyDocument {
  const partition = partitionOfRegion(target.region);
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ListStreams', Effect: 'Allow', Action: ['kinesis:ListStreams'], Resource: '*' },
      {
        Sid: 'DescribeTheDestinationStream',
        Effect: 'Allow',
        Action: ['kinesis:DescribeStreamSummary'],
        Resource: target.streamArn,
      },
      {
        Sid: 'DescribeTheStreamKey',
        Effect: 'Allow',
        Action: ['kms:DescribeKey'],
        Resource: `arn:${partition}:kms:${target.region}:${accountOf(target.streamArn)}:key/*`,
      },
    ],
  };
}

/**
 * The text `AssumeRole` takes as `Policy` (at most 2,048 characters of plain text; these are well
 * under it).
 */
export function sessionPolicyText(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}
