import { Aws, CfnRule, Duration, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { Destination } from '../core/config.js';

/** How the export function obtains the right to write a destination's stream. */
export type WriteAccess =
  /** With its own role: the stack grants PutRecord/PutRecords on the stream ARN. */
  | { readonly kind: 'direct' }
  /** Cross-account: it assumes `roleArn` (with `externalId`); the other account grants the writes. */
  | { readonly kind: 'assume-role'; readonly roleArn: string; readonly externalId?: string }
  /** The source page's access-key method: credentials read from a Secrets Manager secret. */
  | { readonly kind: 'secret'; readonly secretArn: string };

/** One configured destination with its stream resolved to CDK objects. */
export interface ResolvedDestination {
  readonly destination: Destination;
  readonly stream: kinesis.IStream;
  /** The key that encrypts the stream, when there is a customer-managed one. */
  readonly key?: kms.IKey;
  /** True when this stack creates (and owns) the stream. */
  readonly created: boolean;
  readonly access: WriteAccess;
}

export interface DestinationStreamsProps {
  readonly destinations: readonly Destination[];
  /**
   * Of the streams the stack creates. Retained, a stream outlives the stack under its fixed name;
   * deploying the stack again then stops at the stream-name check with what to do (docs/DEPLOY.md).
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The destinations' Kinesis streams: imported by name (the source page's "existing data stream"),
 * or created when the destination sets `createStream` (encrypted with `kmsKeyArn`, else with aws/kinesis).
 *
 * An imported stream's ARN is built from the destination's `region` and `accountId`, defaulting to
 * the deploying account, so synthesis needs no lookup.
 */
export class DestinationStreams extends Construct {
  readonly resolved: readonly ResolvedDestination[];

  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: DestinationStreamsProps) {
    super(scope, id);
    this.removalPolicy = props.removalPolicy;
    this.resolved = props.destinations.map((d) => this.resolve(d));
  }

  private resolve(d: Destination): ResolvedDestination {
    const configuredKey =
      d.kmsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(this, `Key-${d.id}`, d.kmsKeyArn);
    const access = writeAccessOf(d);

    if (d.createStream !== undefined) {
      const provisioned = d.createStream.mode === 'PROVISIONED';
      const stream = new kinesis.Stream(this, `Stream-${d.id}`, {
        streamName: d.streamName,
        streamMode: provisioned ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
        ...(provisioned && d.createStream.shardCount !== undefined
          ? { shardCount: d.createStream.shardCount }
          : {}),
        retentionPeriod: Duration.hours(d.createStream.retentionHours),
        removalPolicy: this.removalPolicy,
        // KMS either way. Without a configured key, the AWS managed key aws/kinesis: producers and
        // consumers need no key grant and KMS costs do not grow with every consumer (AwsSolutions-KDS3).
        ...(configuredKey === undefined
          ? { encryption: kinesis.StreamEncryption.MANAGED }
          : { encryption: kinesis.StreamEncryption.KMS, encryptionKey: configuredKey }),
      });
      // The stack is environment-agnostic, so the region check happens at deploy time.
      new CfnRule(this, `StreamRegion-${d.id}`, {
        assertions: [
          {
            assert: Fn.conditionEquals(Aws.REGION, d.region),
            assertDescription: `destination "${d.id}" sets createStream with region ${d.region}: deploy the stack to ${d.region}, or import the stream instead of creating it`,
          },
        ],
      });
      return {
        destination: d,
        stream,
        ...(configuredKey === undefined ? {} : { key: configuredKey }),
        created: true,
        access,
      };
    }

    const streamArn = Stack.of(this).formatArn({
      service: 'kinesis',
      region: d.region,
      account: d.accountId ?? Stack.of(this).account,
      resource: 'stream',
      resourceName: d.streamName,
    });
    const stream = kinesis.Stream.fromStreamAttributes(this, `Stream-${d.id}`, {
      streamArn,
      ...(configuredKey === undefined ? {} : { encryptionKey: configuredKey }),
    });
    return {
      destination: d,
      stream,
      ...(configuredKey === undefined ? {} : { key: configuredKey }),
      created: false,
      access,
    };
  }
}

/** The write method a destination's config selects. */
export function writeAccessOf(d: Destination): WriteAccess {
  if (d.roleArn !== undefined) {
    return {
      kind: 'assume-role',
      roleArn: d.roleArn,
      ...(d.externalId === undefined ? {} : { externalId: d.externalId }),
    };
  }
  if (d.credentialsSecretArn !== undefined) return { kind: 'secret', secretArn: d.credentialsSecretArn };
  return { kind: 'direct' };
}

/**
 * Rights a role needs to obtain the credentials of destinations it does not write with its own
 * identity: `sts:AssumeRole` on cross-account roles, `secretsmanager:GetSecretValue` on access-key
 * secrets — each on exactly those ARNs, nothing when there are none.
 */
export function grantDestinationCredentials(
  role: iam.IRole,
  destinations: readonly ResolvedDestination[],
): void {
  const roleArns = destinations.flatMap((r) => (r.access.kind === 'assume-role' ? [r.access.roleArn] : []));
  if (roleArns.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeDestinationRoles',
        actions: ['sts:AssumeRole'],
        resources: roleArns,
      }),
    );
  }
  const secretArns = destinations.flatMap((r) => (r.access.kind === 'secret' ? [r.access.secretArn] : []));
  if (secretArns.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDestinationCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: secretArns,
      }),
    );
  }
}

/**
 * The export role's rights on the destinations, as exact statements:
 * - `kinesis:ListStreams` on "*": the action has no resource type, so "*" is the only valid resource
 *   (Service Authorization Reference, Amazon Kinesis Data Streams:
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html);
 * - `kinesis:PutRecord`/`kinesis:PutRecords` on the ARNs of the streams written with this role only
 *   (tighter than the source page's `stream/*`), and `kms:GenerateDataKey` on their keys when they have one;
 * - cross-account destinations: `sts:AssumeRole` on their role, no Kinesis write here at all;
 * - access-key destinations: `secretsmanager:GetSecretValue` on their secret only.
 */
export function grantExportToDestinations(role: iam.IRole, streams: DestinationStreams): void {
  const resolved = streams.resolved;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'ListStreams', actions: ['kinesis:ListStreams'], resources: ['*'] }),
  );
  const direct = resolved.filter((r) => r.access.kind === 'direct');
  if (direct.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutToDestinationStreams',
        actions: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        resources: direct.map((r) => r.stream.streamArn),
      }),
    );
  }
  const keyArns = [...new Set(direct.flatMap((r) => (r.key === undefined ? [] : [r.key.keyArn])))];
  if (keyArns.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptStreamRecords',
        actions: ['kms:GenerateDataKey'],
        resources: keyArns,
      }),
    );
  }
  grantDestinationCredentials(role, resolved);
}
