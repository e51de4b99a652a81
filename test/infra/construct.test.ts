import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import type { KinesisDestinationProps } from '../../lib/kinesis-destination-props.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { exampleConfig } from './synth.js';

const KEY_ARN = 'arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const STREAM_ARN = 'arn:aws:dynamodb:us-east-2:123456789012:table/profiles/stream/2026-01-01T00:00:00.000';

/** A stack holding one pipeline built from the example config plus `props`. */
function pipeline(props: (stack: Stack) => Partial<KinesisDestinationProps> = () => ({})) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Team');
  const construct = new KinesisDestination(stack, 'Pipeline', {
    ...propsFromConfig(stack, exampleConfig()),
    ...props(stack),
  });
  return { stack, construct, template: () => Template.fromStack(stack) };
}

const profileTable = (stack: Stack, props: Partial<dynamodb.TableProps> = {}) =>
  new dynamodb.Table(stack, 'Profiles', {
    partitionKey: { name: 'profileId', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    ...props,
  });

describe('KinesisDestination props', () => {
  it('refuses an existing table together with table props', () => {
    expect(() =>
      pipeline((stack) => ({
        existingProfileTable: profileTable(stack),
        profileTableProps: { tableName: 'profiles' },
      })),
    ).toThrow(
      'KinesisDestination Team/Pipeline: existingProfileTable, profileTableProps: use one, not both: profileTableProps configures the table the construct creates when none is given',
    );
  });

  it('refuses an existing table without a stream', () => {
    expect(() =>
      pipeline((stack) => ({ existingProfileTable: dynamodb.Table.fromTableName(stack, 'T', 'profiles') })),
    ).toThrow(
      /existingProfileTable: has no stream: create it with stream: StreamViewType.NEW_AND_OLD_IMAGES/,
    );
  });

  it('refuses a stream without the old image, and a table keyed by another attribute', () => {
    expect(() =>
      pipeline((stack) => ({
        existingProfileTable: profileTable(stack, { stream: dynamodb.StreamViewType.NEW_IMAGE }),
      })),
    ).toThrow(/its stream is NEW_IMAGE: decide needs NEW_AND_OLD_IMAGES/);
    expect(() =>
      pipeline((stack) => ({
        existingProfileTable: profileTable(stack, {
          partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        }),
      })),
    ).toThrow(/existingProfileTable: is keyed by id: the pipeline needs partition key "profileId"/);
  });

  it('accepts an imported table with its stream ARN and creates no table for profiles', () => {
    const { template } = pipeline((stack) => ({
      existingProfileTable: dynamodb.Table.fromTableAttributes(stack, 'T', {
        tableName: 'profiles',
        tableStreamArn: STREAM_ARN,
      }),
    }));
    template().resourceCountIs('AWS::DynamoDB::Table', 1);
    template().hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: STREAM_ARN });
  });

  it('merges table props over the defaults, but keeps the key and the stream', () => {
    const { template } = pipeline(() => ({ profileTableProps: { tableName: 'team-profiles' } }));
    template().hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        TableName: 'team-profiles',
        KeySchema: [{ AttributeName: 'profileId', KeyType: 'HASH' }],
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
    expect(() =>
      pipeline(() => ({ profileTableProps: { stream: dynamodb.StreamViewType.KEYS_ONLY } })),
    ).toThrow(/profileTableProps.stream: must be NEW_AND_OLD_IMAGES/);
    expect(() =>
      pipeline(() => ({
        profileTableProps: { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } },
      })),
    ).toThrow(/profileTableProps.partitionKey: must be \{ name: "profileId", type: STRING \}/);
  });

  it('uses an imported key for the queues and logs without creating one', () => {
    const { construct, template } = pipeline((stack) => ({
      existingEncryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN),
    }));
    expect(construct.encryptionKey.keyArn).toBe(KEY_ARN);
    template().resourceCountIs('AWS::KMS::Key', 0);
    template().allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: KEY_ARN });
    template().allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: KEY_ARN });
  });

  it('exposes what users wire to', () => {
    const { construct, stack } = pipeline();
    const logicalId = (c: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(c.node.defaultChild as dynamodb.CfnTable);
    expect(logicalId(construct.profileTable)).toMatch(/^PipelineProfileTable/);
    expect(logicalId(construct.stateTable)).toMatch(/^PipelineStateTable/);
    expect(logicalId(construct.exportQueue)).toMatch(/^PipelineQueuesExportQueue/);
    expect(logicalId(construct.deadLetterQueue)).toMatch(/^PipelineQueuesDeadLetterQueue/);
    expect(logicalId(construct.rejectsQueue)).toMatch(/^PipelineQueuesRejectsQueue/);
    expect(logicalId(construct.decideFunction)).toMatch(/^PipelineDecideFunction/);
    expect(logicalId(construct.exportFunction)).toMatch(/^PipelineExportFunction/);
    expect(logicalId(construct.backfillFunction)).toMatch(/^PipelineBackfillFunction/);
    expect(logicalId(construct.exportRole)).toMatch(/^PipelineExportRole/);
    expect(logicalId(construct.alarmTopic)).toMatch(/^PipelineAlertsTopic/);
    expect(logicalId(construct.dashboard)).toMatch(/^PipelineAlertsDashboard/);
    expect(logicalId(construct.encryptionKey)).toMatch(/^PipelinePipelineKey/);
    expect(construct.alarms).toHaveLength(22);
  });
});
