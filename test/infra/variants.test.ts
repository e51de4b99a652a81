import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, configWith, importedStreamArn, statementsOf, statementsWith, synth } from './synth.js';

const ROLE_ARN = 'arn:aws:iam::210987654321:role/kinesis-destination-writer';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:kinesis-writer-AbCdEf';
const KEY_ARN = 'arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('cross-account destination (roleArn + externalId)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth(
      configWith((raw) => {
        Object.assign(raw.destinations[1] as object, { roleArn: ROLE_ARN, externalId: 'kd-external-id' });
      }),
    ).template;
  });

  it('lets the export role assume the role and write only the same-account stream itself', () => {
    expect(statementsWith(template, 'ExportRole', 'kinesis:')).toEqual([
      { Sid: 'ListStreams', Effect: 'Allow', Action: 'kinesis:ListStreams', Resource: '*' },
      {
        Sid: 'PutToDestinationStreams',
        Effect: 'Allow',
        Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: importedStreamArn('us-east-2', 'profile-exports'),
      },
    ]);
    expect(statementsWith(template, 'ExportRole', 'sts:')).toEqual([
      { Sid: 'AssumeDestinationRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN },
    ]);
  });

  it('checks the connection through the same role', () => {
    expect(statementsWith(template, 'ConnectionCheckHandlerRole', 'sts:')).toEqual([
      { Sid: 'AssumeDestinationRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN },
    ]);
    template.hasResourceProperties('Custom::KinesisConnectionCheck', {
      Destinations: Match.arrayWith([
        Match.objectLike({ destinationId: 'analytics', roleArn: ROLE_ARN, externalId: 'kd-external-id' }),
      ]),
    });
  });
});

describe('only cross-account destinations', () => {
  let template: Template;
  beforeAll(() => {
    template = synth(
      configWith((raw) => {
        for (const d of raw.destinations)
          Object.assign(d, { roleArn: ROLE_ARN, externalId: 'kd-external-id' });
      }),
    ).template;
  });

  it('uses sts:AssumeRole and nothing else for Kinesis but the ListStreams check', () => {
    const actions = actionsOf(template, 'ExportRole');
    expect(actions.filter((a) => a.startsWith('kinesis:'))).toEqual(['kinesis:ListStreams']);
    expect(actions.filter((a) => a.startsWith('sts:'))).toEqual(['sts:AssumeRole']);
    // The pipeline key only: consuming the export queue, moving a failed export to the dead-letter queue.
    expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
  });
});

describe('access-key destination (credentialsSecretArn)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth(
      configWith((raw) => {
        Object.assign(raw.destinations[0] as object, { credentialsSecretArn: SECRET_ARN });
      }),
    ).template;
  });

  it('reads only that secret, and writes that stream with its keys, not the role', () => {
    expect(statementsWith(template, 'ExportRole', 'secretsmanager:')).toEqual([
      {
        Sid: 'ReadDestinationCredentials',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: SECRET_ARN,
      },
    ]);
    expect(statementsWith(template, 'ExportRole', 'kinesis:Put')).toEqual([
      expect.objectContaining({ Resource: importedStreamArn('us-east-2', 'profile-analytics') }),
    ]);
    expect(actionsOf(template, 'DecideRole')).not.toContain('secretsmanager:GetSecretValue');
  });
});

describe('imported stream with a customer-managed key in another account', () => {
  let template: Template;
  beforeAll(() => {
    template = synth(
      configWith((raw) => {
        Object.assign(raw.destinations[0] as object, { kmsKeyArn: KEY_ARN, accountId: '123456789012' });
      }),
    ).template;
  });

  it('adds kms:GenerateDataKey on that key only, and builds the ARN from region and accountId', () => {
    expect(statementsWith(template, 'ExportRole', 'kms:GenerateDataKey')).toEqual([
      {
        Sid: 'EncryptStreamRecords',
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: KEY_ARN,
        // Only when Kinesis asks on the role's behalf, in the stream's region.
        Condition: { StringEquals: { 'kms:ViaService': 'kinesis.us-east-2.amazonaws.com' } },
      },
      expect.objectContaining({ Sid: 'MoveToDeadLetterQueueEncrypted' }),
    ]);
    expect(statementsWith(template, 'ExportRole', 'kinesis:Put')).toEqual([
      expect.objectContaining({
        Resource: [
          importedStreamArn('us-east-2', 'profile-analytics'),
          importedStreamArn('us-east-2', 'profile-exports', '123456789012'),
        ],
      }),
    ]);
  });
});

describe('streams created by the stack', () => {
  let template: Template;
  beforeAll(() => {
    template = synth(
      configWith((raw) => {
        Object.assign(raw.destinations[0] as object, { createStream: { mode: 'ON_DEMAND' } });
        Object.assign(raw.destinations[1] as object, {
          createStream: { mode: 'PROVISIONED', shardCount: 2, retentionHours: 48 },
          kmsKeyArn: KEY_ARN,
        });
      }),
    ).template;
  });

  it('creates on-demand and provisioned streams encrypted with KMS (aws/kinesis or the configured key)', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'profile-exports',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'profile-analytics',
      ShardCount: 2,
      RetentionPeriodHours: 48,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: KEY_ARN },
    });
  });

  it('writes to the created streams and generates data keys only with a configured key', () => {
    expect(statementsWith(template, 'ExportRole', 'kinesis:Put')).toEqual([
      expect.objectContaining({
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^DestinationsStreamanalytics/), 'Arn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/^DestinationsStreammarketing/), 'Arn'] },
        ],
      }),
    ]);
    // aws/kinesis needs no grant; the configured key does (and the pipeline key, for the dead-letter queue).
    expect(statementsWith(template, 'ExportRole', 'kms:GenerateDataKey')).toEqual([
      {
        Sid: 'EncryptStreamRecords',
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: KEY_ARN,
        // Only when Kinesis asks on the role's behalf, in the stream's region.
        Condition: { StringEquals: { 'kms:ViaService': 'kinesis.us-east-2.amazonaws.com' } },
      },
      expect.objectContaining({ Sid: 'MoveToDeadLetterQueueEncrypted' }),
    ]);
  });

  it('checks the names first: each created stream waits for the stream-name check', () => {
    const streams = Object.entries(template.findResources('AWS::Kinesis::Stream'));
    expect(streams).toHaveLength(2);
    for (const [, stream] of streams) {
      expect(stream.DependsOn).toEqual([expect.stringMatching(/^ConnectionCheckStreamNames/)]);
    }
    template.hasResourceProperties('Custom::KinesisStreamNameCheck', {
      Streams: [
        {
          destinationId: 'marketing',
          region: 'us-east-2',
          streamName: 'profile-exports',
          logicalId: streams.find(([id]) => id.startsWith('DestinationsStreammarketing'))?.[0],
        },
        {
          destinationId: 'analytics',
          region: 'us-east-2',
          streamName: 'profile-analytics',
          logicalId: streams.find(([id]) => id.startsWith('DestinationsStreamanalytics'))?.[0],
        },
      ],
    });
    // Built from the names, so the check does not wait for the streams it runs before.
    expect(statementsWith(template, 'ConnectionCheckHandlerRole', 'kinesis:')).toEqual([
      expect.objectContaining({
        Action: 'kinesis:DescribeStreamSummary',
        Resource: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':kinesis:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':stream/profile-analytics',
              ],
            ],
          },
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':kinesis:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':stream/profile-exports',
              ],
            ],
          },
        ],
      }),
    ]);
  });

  it('skips the connection check and asserts the deploy region', () => {
    template.resourceCountIs('Custom::KinesisConnectionCheck', 0);
    const rules = template.toJSON().Rules as Record<string, { Assertions: { AssertDescription: string }[] }>;
    const regionRules = Object.entries(rules).filter(([id]) => id.startsWith('DestinationsStreamRegion'));
    expect(regionRules).toHaveLength(2);
    expect(regionRules[0]?.[1].Assertions[0]?.AssertDescription).toContain('deploy the stack to us-east-2');
  });
});

describe('imported profile table', () => {
  const streamArn =
    'arn:aws:dynamodb:us-east-2:123456789012:table/customer-profiles/stream/2024-01-01T00:00:00.000';
  let template: Template;
  beforeAll(() => {
    template = synth(
      configWith((raw) => {
        raw.profileTable = { tableName: 'customer-profiles', streamArn };
      }),
    ).template;
  });

  it('creates only the state table and maps the given stream to decide', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: streamArn });
    template.hasOutput('ProfileTableName', { Value: 'customer-profiles' });
    expect(statementsOf(template, 'BackfillRole')).toContainEqual(
      expect.objectContaining({
        Sid: 'ScanProfiles',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':dynamodb:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':table/customer-profiles',
            ],
          ],
        },
      }),
    );
  });
});
