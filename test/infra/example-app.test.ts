import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamStack } from '../../examples/existing-stack/team-stack.js';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import { addNagPacks } from '../../lib/nag.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { exampleConfig, statementsOf } from './synth.js';

const scratch = mkdtempSync(join(tmpdir(), 'kd-example-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An app as a team's own would be, with bundling skipped (the handlers only have to exist). */
function teamApp(name: string): App {
  return new App({ outdir: join(scratch, name), context: { 'aws:cdk:bundling-stacks': [] } });
}

const ref = (prefix: string) => ({ Ref: Match.stringLikeRegexp(`^${prefix}`) });
/** A `Fn::GetAtt` of the ARN of the resource whose logical id starts with `prefix` (for vitest's expect). */
const arnOf = (prefix: string) => ({
  'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}`)), 'Arn'],
});

describe('examples/existing-stack: the construct in an existing stack', () => {
  let synthError: unknown;
  let template: Template;
  beforeAll(() => {
    const app = teamApp('team');
    new TeamStack(app, 'TeamStack');
    addNagPacks(app);
    // The nag packs run once, on the app's first synth; the template comes from that assembly.
    try {
      template = Template.fromJSON(app.synth().getStackByName('TeamStack').template);
    } catch (error) {
      synthError = error;
    }
  });

  it('passes cdk-nag (AwsSolutions + NIST 800-53 rev 5)', () => {
    expect(synthError).toBeUndefined();
  });

  it("reads the team's table: its stream feeds decide, and no profile table is created", () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2); // the team's and the pipeline's state table
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Profiles'), 'StreamArn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PROFILE_TABLE_NAME: ref('Profiles') }) },
    });
  });

  it("lets the backfill decrypt the team's table, which is under the team's key", () => {
    expect(statementsOf(template, 'ProfileExportsBackfillRole')).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: arnOf('TeamKey'),
    });
    expect(statementsOf(template, 'ProfileExportsBackfillRole')).toContainEqual(
      expect.objectContaining({ Sid: 'ScanProfiles', Resource: arnOf('Profiles') }),
    );
  });

  it("notifies the team's topic from every alarm and creates no topic of its own", () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(22);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OnCall/) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^OnCall/) }]);
    }
  });

  it("encrypts the queues and logs with the team's key, which now lets CloudWatch use it", () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toEqual(arnOf('TeamKey'));
    }
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.KmsKeyId).toEqual(arnOf('TeamKey'));
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'CloudWatchAlarmsPublishToEncryptedTopic' }),
          Match.objectLike({ Sid: 'CloudWatchLogsEncryptLogGroups' }),
        ]),
      },
    });
  });

  it('names the backfill and the roles after the pipeline name, not the construct path', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'team-profile-exports-backfill',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['team-profile-exports-export-', { Ref: 'AWS::Region' }]] },
    });
  });

  it("writes the team's own stream with the export role, and its key only through Kinesis", () => {
    expect(statementsOf(template, 'ProfileExportsExportRole')).toContainEqual(
      expect.objectContaining({
        Sid: 'PutToDestinationStreams',
        Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: arnOf('Audiences'),
      }),
    );
    expect(statementsOf(template, 'ProfileExportsExportRole')).toContainEqual({
      Sid: 'EncryptStreamRecords',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: arnOf('TeamKey'),
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['kinesis.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      },
    });
  });

  it("assumes the partner's role for the partner's stream, with the external id", () => {
    expect(statementsOf(template, 'ProfileExportsExportRole')).toContainEqual({
      Sid: 'AssumeDestinationRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::210987654321:role/kinesis-destination-writer',
    });
    template.hasResourceProperties('Custom::KinesisConnectionCheck', {
      Destinations: Match.arrayWith([
        Match.objectLike({
          destinationId: 'analytics',
          streamName: 'profile-analytics',
          region: 'us-east-2',
          accountId: '210987654321',
          externalId: 'team-profile-exports',
        }),
      ]),
    });
  });

  it("hands the team stream's name and region, known at deploy time, to the functions in their environment", () => {
    const exportFunction = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.DLQ_URL !== undefined,
    );
    const overrides = JSON.stringify(exportFunction?.Properties.Environment.Variables.KD_CONFIG_OVERRIDES);
    expect(overrides).toContain('marketing');
    expect(overrides).toMatch(/"Ref":"Audiences[0-9A-F]{8}"/);
    expect(overrides).toContain('AWS::Region');
    expect(overrides).not.toContain('analytics');
  });
});

describe("cdk-nag acknowledgements cover the construct's own resources only", () => {
  const example = (stack: Stack) => propsFromConfig(stack, exampleConfig());

  it("leaves the finding of a team's table that nobody acknowledged", () => {
    const app = teamApp('unacknowledged-table');
    const stack = new Stack(app, 'TeamStack');
    const profiles = new dynamodb.Table(stack, 'Profiles', {
      partitionKey: { name: 'profileId', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    new KinesisDestination(stack, 'ProfileExports', { ...example(stack), existingProfileTable: profiles });
    addNagPacks(app);
    expect(() => app.synth()).toThrow(/NIST\.800\.53\.R5-DynamoDBInBackupPlan/);
  });

  it('leaves the findings of any other resource in the stack', () => {
    const app = teamApp('other-resource');
    const stack = new Stack(app, 'TeamStack');
    new KinesisDestination(stack, 'ProfileExports', example(stack));
    new sqs.Queue(stack, 'PlainQueue', { enforceSSL: false });
    addNagPacks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('passes with two pipelines in one stack, each with its own backfill name', () => {
    const app = teamApp('two');
    const stack = new Stack(app, 'TeamStack');
    new KinesisDestination(stack, 'One', example(stack));
    new KinesisDestination(stack, 'Two', example(stack));
    addNagPacks(app);
    expect(() => app.synth()).not.toThrow();
    const fixed = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.FunctionName as string | undefined)
      .filter((n): n is string => n !== undefined);
    expect(fixed).toHaveLength(2);
    expect(new Set(fixed).size).toBe(2);
    for (const name of fixed) expect(name.length).toBeLessThanOrEqual(64);
  });
});
