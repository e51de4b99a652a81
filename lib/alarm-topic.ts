import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * What lets the CloudWatch alarms of this account publish to the alarm topic. A topic policy
 * replaces SNS's default policy — the one that lets same-account services such as CloudWatch
 * alarms publish — so a topic with any policy (`enforceSSL` writes one: the TLS-only deny) must
 * allow `cloudwatch.amazonaws.com` itself, or every notification fails with "not authorized to
 * perform: SNS:Publish … because no resource-based policy allows". An encrypted topic's key must
 * also let CloudWatch use it ({@link cloudWatchAlarmsKeyStatement}).
 */

/** The alarm ARNs of this account and region (`aws:SourceArn` of CloudWatch's publishes). */
export function alarmArnPattern(): string {
  return `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`;
}

/**
 * The topic policy statement: `cloudwatch.amazonaws.com` may `sns:Publish` to `topic` on behalf of
 * this account's alarms in this region only (`aws:SourceAccount` and `aws:SourceArn`: the
 * confused-deputy guard of service principals).
 */
export function cloudWatchAlarmsPublishStatement(topic: sns.ITopic): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CloudWatchAlarmsPublish',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': alarmArnPattern() },
    },
  });
}

/**
 * The key policy statement that lets CloudWatch alarms of this account publish to a topic encrypted
 * with the key (SNS asks KMS for a data key on the publisher's behalf).
 */
export function cloudWatchAlarmsKeyStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    // Only on behalf of this account's alarms (the confused-deputy guard of service principals).
    conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
  });
}

/**
 * Lets CloudWatch alarms publish to `topic`, as far as this app can:
 * - a topic with a policy in this app (the one the construct creates, or an `existingAlarmTopic`
 *   created with `enforceSSL` or another statement) gets {@link cloudWatchAlarmsPublishStatement};
 *   a topic of this app without a policy is left alone: SNS's default policy lets the account's
 *   alarms publish, and writing a policy would replace it (and what else it lets publish);
 * - its key, when it is a key of this app other than `pipelineKey` (which gets the statement
 *   anyway), gets {@link cloudWatchAlarmsKeyStatement}.
 * An imported topic or key cannot be changed from here: docs/DEPLOY.md says what they need.
 */
export function allowAlarmPublishing(topic: sns.ITopic, pipelineKey: kms.IKey): void {
  if (!(topic instanceof sns.Topic) || topic.node.tryFindChild('Policy') !== undefined) {
    topic.addToResourcePolicy(cloudWatchAlarmsPublishStatement(topic));
  }
  const key = topic.masterKey;
  if (key instanceof kms.Key && key !== pipelineKey) key.addToResourcePolicy(cloudWatchAlarmsKeyStatement());
}
