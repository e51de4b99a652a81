import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Destination, DestinationConfig } from '../core/config.js';
import { CreatedStreamMode, DestinationTarget } from './destination-target.js';
import type { DestinationProps, KinesisDestinationProps } from './kinesis-destination-props.js';

/**
 * A loaded config file (`loadConfigFile`) as `KinesisDestination` props: what the default app's stack
 * deploys, and how a JavaScript (or TypeScript) app fills the construct from the same JSON file:
 *
 * ```js
 * new KinesisDestination(stack, 'ProfileExports', propsFromConfig(stack, loadConfigFile('config.json')));
 * ```
 *
 * The ARNs of the file become imported CDK objects (`Role.fromRoleArn`, `Secret.fromSecret…Arn`,
 * `Key.fromKeyArn`, `Table.fromTableAttributes`) created under `scope` with ids named after the
 * destination (`DestinationRole-<id>`, …): imports, which add no resource to the template. Spread the
 * result to add props the file has no field for (`{ ...propsFromConfig(stack, config), operatorRoles }`).
 */
export function propsFromConfig(scope: Construct, config: DestinationConfig): KinesisDestinationProps {
  const network = config.network;
  return {
    destinations: config.destinations.map((d) => destinationProps(scope, d)),
    segmentCatalog: config.segmentCatalog,
    ...(config.alerts === undefined ? {} : { alertEmails: config.alerts.emails }),
    ...(config.throughput?.peakWritesPerSecond === undefined
      ? {}
      : { peakWritesPerSecond: config.throughput.peakWritesPerSecond }),
    ...(config.throughput?.documentBytes === undefined
      ? {}
      : { documentBytes: config.throughput.documentBytes }),
    ...profileTableProps(scope, config),
    ...(config.dataRemovalPolicy === 'destroy' ? { dataRemovalPolicy: RemovalPolicy.DESTROY } : {}),
    ...(network?.staticEgressIps === true ? { staticEgressIps: true } : {}),
    ...(network?.kinesisEndpoint === true ? { kinesisEndpoint: true } : {}),
    ...(network?.elasticIpAllocationIds === undefined
      ? {}
      : { elasticIpAllocationIds: network.elasticIpAllocationIds }),
    ...(config.operatorRoleArns === undefined
      ? {}
      : {
          // Not mutable: let through the queue policy only; the file's roles keep the permissions their
          // owner gives them (an IAM Identity Center role cannot take a policy from a stack).
          operatorRoles: config.operatorRoleArns.map((arn, i) =>
            iam.Role.fromRoleArn(scope, `OperatorRole${i}`, arn, { mutable: false }),
          ),
        }),
  };
}

function destinationProps(scope: Construct, d: Destination): DestinationProps {
  return {
    id: d.id,
    name: d.name,
    ...(d.description === undefined ? {} : { description: d.description }),
    target: targetOf(scope, d),
    segments: d.segments,
    attributes: d.attributes,
    includeSegmentNames: d.includeSegmentNames,
    includeSegmentTimestamps: d.includeSegmentTimestamps,
  };
}

/** The typed target of a config file's destination. */
function targetOf(scope: Construct, d: Destination): DestinationTarget {
  const encryptionKey =
    d.kmsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(scope, `DestinationKey-${d.id}`, d.kmsKeyArn);
  const key = encryptionKey === undefined ? {} : { encryptionKey };
  if (d.createStream !== undefined) {
    const c = d.createStream;
    return DestinationTarget.createStream({
      streamName: d.streamName,
      region: d.region,
      mode: c.mode === 'PROVISIONED' ? CreatedStreamMode.PROVISIONED : CreatedStreamMode.ON_DEMAND,
      ...(c.shardCount === undefined ? {} : { shardCount: c.shardCount }),
      retention: Duration.hours(c.retentionHours),
      ...key,
    });
  }
  const stream = {
    streamName: d.streamName,
    region: d.region,
    ...(d.accountId === undefined ? {} : { account: d.accountId }),
    ...key,
  };
  if (d.roleArn !== undefined) {
    return DestinationTarget.crossAccountStream({
      ...stream,
      // Not mutable: the construct never changes a partner's role, it only names it.
      role: iam.Role.fromRoleArn(scope, `DestinationRole-${d.id}`, d.roleArn, { mutable: false }),
      ...(d.externalId === undefined ? {} : { externalId: d.externalId }),
      ...(d.noExternalIdReason === undefined ? {} : { noExternalIdReason: d.noExternalIdReason }),
    });
  }
  if (d.credentialsSecretArn !== undefined) {
    const arn = d.credentialsSecretArn;
    const id = `DestinationSecret-${d.id}`;
    // A complete ARN ends in Secrets Manager's 6-character suffix; a partial one names the secret.
    const secret = /-[A-Za-z0-9]{6}$/.test(arn)
      ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn)
      : secretsmanager.Secret.fromSecretPartialArn(scope, id, arn);
    return DestinationTarget.accessKey({
      ...stream,
      secret,
      ...(d.credentialsSecretKmsKeyArn === undefined
        ? {}
        : {
            secretKey: kms.Key.fromKeyArn(
              scope,
              `DestinationSecretKey-${d.id}`,
              d.credentialsSecretKmsKeyArn,
            ),
          }),
    });
  }
  return DestinationTarget.streamNamed(d.streamName, {
    region: d.region,
    ...(d.accountId === undefined ? {} : { account: d.accountId }),
    ...key,
  });
}

/**
 * The config's `profileTable`: import the table by name and stream ARN (with its customer-managed
 * key, if any), or name the new one.
 */
function profileTableProps(
  scope: Construct,
  config: DestinationConfig,
): Pick<KinesisDestinationProps, 'existingProfileTable' | 'profileTableProps'> {
  const settings = config.profileTable;
  if (settings?.streamArn !== undefined && settings.tableName !== undefined) {
    return {
      existingProfileTable: dynamodb.Table.fromTableAttributes(scope, 'ProfileTable', {
        tableName: settings.tableName,
        tableStreamArn: settings.streamArn,
        ...(settings.kmsKeyArn === undefined
          ? {}
          : { encryptionKey: kms.Key.fromKeyArn(scope, 'ProfileTableKey', settings.kmsKeyArn) }),
      }),
    };
  }
  return settings?.tableName === undefined ? {} : { profileTableProps: { tableName: settings.tableName } };
}
