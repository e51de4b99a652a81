import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { TeamStack } from '../../examples/existing-stack/team-stack.js';
import { allowAlarmPublishing } from '../../lib/alarm-topic.js';
import { alarmActionCount, alarmDeliveryProblems } from './alarm-walk.js';
import { exampleConfig, synth, variantsConfig } from './synth.js';

type TemplateJson = Parameters<typeof alarmDeliveryProblems>[0];

const TLS_DENY = {
  Sid: 'AllowPublishThroughSSLOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 'sns:Publish',
  Resource: { Ref: 'Topic' },
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const CLOUDWATCH_ALLOW = {
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: 'sns:Publish',
  Resource: { Ref: 'Topic' },
  Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
};
const KEY_ALLOW = {
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  Resource: '*',
};

/** One alarm notifying one topic, with the topic policy's and the key policy's statements given. */
function oneAlarm(
  topicStatements: object[] | undefined,
  keyStatements: object[],
  keyId: unknown = { 'Fn::GetAtt': ['Key', 'Arn'] },
): TemplateJson {
  return {
    Resources: {
      Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [{ Ref: 'Topic' }] } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: keyId } },
      Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: keyStatements } } },
      ...(topicStatements === undefined
        ? {}
        : {
            Policy: {
              Type: 'AWS::SNS::TopicPolicy',
              Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: topicStatements } },
            },
          }),
    },
  };
}

describe('alarmDeliveryProblems()', () => {
  it('passes a topic CloudWatch may publish to, under a key CloudWatch may use', () => {
    expect(alarmDeliveryProblems(oneAlarm([TLS_DENY, CLOUDWATCH_ALLOW], [KEY_ALLOW]))).toEqual([]);
    // No topic policy at all: SNS's default policy lets the account's alarms publish.
    expect(alarmDeliveryProblems(oneAlarm(undefined, [KEY_ALLOW]))).toEqual([]);
  });

  it('fails a topic policy holding only the TLS-only deny (it replaces the default policy)', () => {
    expect(alarmDeliveryProblems(oneAlarm([TLS_DENY], [KEY_ALLOW]))).toEqual([
      "Alarm: AlarmActions: topic Topic's policy does not allow cloudwatch.amazonaws.com sns:Publish (a topic policy replaces SNS's default one)",
    ]);
  });

  it('fails an allow CloudWatch cannot meet, and a deny that is not the TLS one', () => {
    const otherAccount = {
      ...CLOUDWATCH_ALLOW,
      Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } },
    };
    expect(alarmDeliveryProblems(oneAlarm([otherAccount], [KEY_ALLOW]))[0]).toMatch(
      /condition StringEquals aws:SourceAccount "999999999999" is not one CloudWatch's publishes meet/,
    );
    const denyAll = { ...TLS_DENY, Condition: undefined };
    expect(alarmDeliveryProblems(oneAlarm([CLOUDWATCH_ALLOW, denyAll], [KEY_ALLOW]))[0]).toMatch(
      /denies sns:Publish/,
    );
  });

  it('fails a key CloudWatch may not use, an AWS managed key and an action that is not a topic', () => {
    expect(
      alarmDeliveryProblems(oneAlarm([CLOUDWATCH_ALLOW], [{ ...KEY_ALLOW, Action: 'kms:Decrypt' }])),
    ).toEqual([
      'Alarm: AlarmActions: key Key of topic Topic does not let cloudwatch.amazonaws.com kms:GenerateDataKey',
    ]);
    expect(alarmDeliveryProblems(oneAlarm([CLOUDWATCH_ALLOW], [], 'alias/aws/sns'))[0]).toMatch(
      /not a key of this template: CloudWatch cannot use an AWS managed key/,
    );
    const template = oneAlarm(undefined, [KEY_ALLOW]);
    (template.Resources as Record<string, { Properties?: Record<string, unknown> }>).Alarm = {
      Properties: { OKActions: ['arn:aws:sns:us-east-2:123456789012:elsewhere'] },
      Type: 'AWS::CloudWatch::Alarm',
    } as never;
    expect(alarmDeliveryProblems(template)).toEqual([
      'Alarm: OKActions: "arn:aws:sns:us-east-2:123456789012:elsewhere" is not a topic of this template',
    ]);
  });
});

describe('alarms notify: every alarm action → topic policy → key policy', () => {
  it.each([
    ['the default app', () => synth(exampleConfig()).template.toJSON()],
    ['the variants app (an e-mail subscription)', () => synth(variantsConfig()).template.toJSON()],
    [
      "examples/existing-stack (the team's own topic with enforceSSL, under the team's key)",
      () => {
        const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
        return Template.fromStack(new TeamStack(app, 'TeamStack')).toJSON();
      },
    ],
  ])('lets CloudWatch publish every notification of %s', (_name, template) => {
    const json = template() as TemplateJson;
    expect(alarmActionCount(json)).toBeGreaterThan(40);
    expect(alarmDeliveryProblems(json)).toEqual([]);
  });

  it("writes the topic's statement for this account's alarms only, beside the TLS-only deny", () => {
    const policies = Object.values(synth(exampleConfig()).template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Sid: 'AllowPublishThroughSSLOnly', Effect: 'Deny' }),
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^AlertsTopic/) },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });
});

describe('allowAlarmPublishing()', () => {
  it("leaves a policy-less topic of the app alone (SNS's default policy lets alarms publish), but gives its own key the statement", () => {
    const stack = new Stack(new App(), 'Team');
    const pipelineKey = new kms.Key(stack, 'PipelineKey');
    const topicKey = new kms.Key(stack, 'TopicKey');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: topicKey });
    allowAlarmPublishing(topic, pipelineKey);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    const keys = template.findResources('AWS::KMS::Key');
    const sids = (id: string): (string | undefined)[] => {
      const key = Object.entries(keys).find(([k]) => k.startsWith(id))?.[1];
      return ((key?.Properties.KeyPolicy.Statement ?? []) as { Sid?: string }[]).map((s) => s.Sid);
    };
    expect(sids('TopicKey')).toContain('CloudWatchAlarmsPublishToEncryptedTopic');
    expect(sids('PipelineKey')).not.toContain('CloudWatchAlarmsPublishToEncryptedTopic');
  });
});
