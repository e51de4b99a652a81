import { Arn, ArnFormat, Aws, CfnRule, Duration, Fn, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Destination } from '../core/config.js';
import type { ResolvedTarget } from './destination-resolution.js';

/** How the export function obtains the right to write a destination's stream. */
export type WriteAccess =
  /** With its own role: the stack grants PutRecord/PutRecords on the stream ARN. */
  | { readonly kind: 'direct' }
  /** Cross-account: it assumes `role` (with the destination's `externalId`); the other account grants the writes. */
  | { readonly kind: 'assume-role'; readonly role: iam.IRole }
  /** The source page's access-key method: credentials read from a Secrets Manager secret. */
  | { readonly kind: 'secret'; readonly secret: secretsmanager.ISecret; readonly secretKey?: kms.IKey };

/** One configured destination with its stream resolved to CDK objects. */
export interface ResolvedDestination {
  /** The destination as the functions see it (deploy-time values as tokens). */
  readonly destination: Destination;
  readonly stream: kinesis.IStream;
  /** The key that encrypts the stream, when there is a customer-managed one. */
  readonly key?: kms.IKey;
  /** True when this stack creates (and owns) the stream. */
  readonly created: boolean;
  readonly access: WriteAccess;
}

export interface DestinationStreamsProps {
  /** The validated destinations (lib/props-resolution.ts). */
  readonly destinations: readonly Destination[];
  /** Each destination's target as CDK objects, by destination id. */
  readonly targets: ReadonlyMap<string, ResolvedTarget>;
  /**
   * Of the streams the stack creates. Retained, a stream outlives the stack under its fixed name;
   * deploying the stack again then stops at the stream-name check with what to do (docs/DEPLOY.md).
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The destinations' Kinesis streams: the `IStream` a target names, a stream imported by name and
 * region (the source page's "existing data stream"), or one created here
 * (`DestinationTarget.createStream`: encrypted with its key, else with aws/kinesis).
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
    this.resolved = props.destinations.map((d) => {
      const target = props.targets.get(d.id);
      if (target === undefined) throw new Error(`destination "${d.id}" has no resolved target`);
      return this.resolve(d, target);
    });
  }

  private resolve(d: Destination, target: ResolvedTarget): ResolvedDestination {
    const key = target.key;
    const access = writeAccessOf(target);
    const keyed = key === undefined ? {} : { key };

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
        ...(key === undefined
          ? { encryption: kinesis.StreamEncryption.MANAGED }
          : { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key }),
      });
      if (target.createdRegion !== undefined) {
        // A region named for an environment-agnostic stack is checked at deploy time.
        new CfnRule(this, `StreamRegion-${d.id}`, {
          assertions: [
            {
              assert: Fn.conditionEquals(Aws.REGION, target.createdRegion),
              assertDescription: `destination "${d.id}" creates its stream in ${target.createdRegion}: deploy the stack to ${target.createdRegion}, or import the stream instead of creating it`,
            },
          ],
        });
      }
      return { destination: d, stream, ...keyed, created: true, access };
    }

    const stream =
      target.stream ??
      kinesis.Stream.fromStreamAttributes(this, `Stream-${d.id}`, {
        streamArn: Stack.of(this).formatArn({
          service: 'kinesis',
          region: d.region,
          account: d.accountId ?? Stack.of(this).account,
          resource: 'stream',
          resourceName: d.streamName,
        }),
        ...keyed,
      });
    return { destination: d, stream, ...keyed, created: false, access };
  }
}

/** The write method a destination's target selects. */
export function writeAccessOf(target: ResolvedTarget): WriteAccess {
  if (target.role !== undefined) return { kind: 'assume-role', role: target.role };
  if (target.secret !== undefined) {
    return {
      kind: 'secret',
      secret: target.secret,
      ...(target.secretKey === undefined ? {} : { secretKey: target.secretKey }),
    };
  }
  return { kind: 'direct' };
}

/**
 * The region of an ARN (a token's region is resolved by CloudFormation), else `fallback`'s stack's:
 * where a key is used through a service (`kms:ViaService`).
 */
function regionOf(arn: string, fallback: Construct): string {
  const region = Token.isUnresolved(arn) ? undefined : Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).region;
  return region === undefined || region === '' ? Stack.of(fallback).region : region;
}

/**
 * A secret's ARN as IAM policies match it: its full ARN, or — for a secret known only by name or by a
 * partial ARN (no 6-character suffix: `secretFullArn` is undefined) — that ARN with any suffix.
 */
function secretPolicyArn(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

/**
 * Statements that let a role use `keys` only through one service in the key's region
 * (`kms:ViaService` `<service>.<region>.amazonaws.com`): one statement per region, so each names its
 * keys exactly.
 */
function viaServiceStatements(
  sid: string,
  actions: readonly string[],
  service: 'kinesis' | 'secretsmanager',
  keys: readonly { readonly keyArn: string; readonly region: string }[],
): iam.PolicyStatement[] {
  const byRegion = new Map<string, Set<string>>();
  for (const k of keys) byRegion.set(k.region, (byRegion.get(k.region) ?? new Set()).add(k.keyArn));
  return [...byRegion].map(
    ([region, arns], i) =>
      new iam.PolicyStatement({
        sid: i === 0 ? sid : `${sid}${i + 1}`,
        actions: [...actions],
        resources: [...arns],
        conditions: { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
      }),
  );
}

/**
 * Rights a role needs to obtain the credentials of destinations it does not write with its own
 * identity: `sts:AssumeRole` on cross-account roles, `secretsmanager:GetSecretValue` on access-key
 * secrets (and `kms:Decrypt` on a secret's customer-managed key, through Secrets Manager only) — each
 * on exactly those ARNs, nothing when there are none.
 */
export function grantDestinationCredentials(
  role: iam.IRole,
  destinations: readonly ResolvedDestination[],
): void {
  const roleArns = [
    ...new Set(destinations.flatMap((r) => (r.access.kind === 'assume-role' ? [r.access.role.roleArn] : []))),
  ];
  if (roleArns.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeDestinationRoles',
        actions: ['sts:AssumeRole'],
        resources: roleArns,
      }),
    );
  }
  const secrets = destinations.flatMap((r) => (r.access.kind === 'secret' ? [r.access] : []));
  if (secrets.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDestinationCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...new Set(secrets.map((s) => secretPolicyArn(s.secret)))],
      }),
    );
  }
  const secretKeys = secrets.flatMap((s) =>
    s.secretKey === undefined
      ? []
      : [{ keyArn: s.secretKey.keyArn, region: regionOf(s.secret.secretArn, role) }],
  );
  for (const statement of viaServiceStatements(
    'DecryptDestinationCredentials',
    ['kms:Decrypt'],
    'secretsmanager',
    secretKeys,
  )) {
    role.addToPrincipalPolicy(statement);
  }
}

/**
 * The export role's rights on the destinations, as exact statements:
 * - `kinesis:ListStreams` on "*": the action has no resource type, so "*" is the only valid resource
 *   (Service Authorization Reference, Amazon Kinesis Data Streams:
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html);
 * - `kinesis:PutRecord`/`kinesis:PutRecords` on the ARNs of the streams written with this role only
 *   (tighter than the source page's `stream/*`), and `kms:GenerateDataKey` on their keys when they
 *   have one — through Kinesis in the stream's region only (`kms:ViaService`);
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
  const keys = direct.flatMap((r) =>
    r.key === undefined ? [] : [{ keyArn: r.key.keyArn, region: r.destination.region }],
  );
  for (const statement of viaServiceStatements(
    'EncryptStreamRecords',
    ['kms:GenerateDataKey'],
    'kinesis',
    keys,
  )) {
    role.addToPrincipalPolicy(statement);
  }
  grantDestinationCredentials(role, resolved);
}
