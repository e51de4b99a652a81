import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { logGroupWithRole } from './function-logging.js';
import { CUSTOM_RESOURCE_SERVICE_TIMEOUT } from './service-timeout.js';

/** The id of the singleton function behind every `AwsCustomResource` of a stack (aws-cdk-lib). */
export const AWS_CUSTOM_RESOURCE_FUNCTION_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** Options of {@link restrictRedriveSources}. */
export interface RedriveAllowPolicyProps {
  readonly deadLetterQueue: sqs.IQueue;
  /** The only queue that may use `deadLetterQueue` as its dead-letter queue. */
  readonly sourceQueue: sqs.IQueue;
  readonly logKey: kms.IKey;
}

/**
 * Sets the dead-letter queue's `RedriveAllowPolicy` to `byQueue` with the export queue alone, so no
 * other queue of the account can make it its dead-letter queue.
 *
 * Not a property of the queue in the template: the DLQ's policy would name the export queue's ARN
 * while the export queue's RedrivePolicy names the DLQ's — a dependency cycle CloudFormation
 * refuses (the export queue's name is generated, so its ARN cannot be written down instead, and
 * fixing a name now would replace the queue with the exports in it). An `AwsCustomResource` sets it
 * with SetQueueAttributes once both queues exist, again whenever either ARN changes, and leaves it
 * on delete (the queue is kept).
 *
 * Every `AwsCustomResource` of a stack runs in one singleton function with the role of the first
 * one created; the statement below is attached to that role. When this is the first, the
 * singleton gets a role of our own that may write only its log group (no managed policy).
 */
export function restrictRedriveSources(
  scope: Construct,
  id: string,
  props: RedriveAllowPolicyProps,
): AwsCustomResource {
  const stack = Stack.of(scope);
  const first = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_FUNCTION_ID) === undefined;
  const own = first
    ? logGroupWithRole(scope, {
        logKey: props.logKey,
        description: 'Deploy-time SDK calls of the pipeline (kinesis-destination)',
        logGroupId: `${id}Logs`,
        roleId: `${id}Role`,
      })
    : undefined;
  const call = {
    service: 'SQS',
    action: 'SetQueueAttributes',
    parameters: {
      QueueUrl: props.deadLetterQueue.queueUrl,
      Attributes: {
        RedriveAllowPolicy: stack.toJsonString({
          redrivePermission: 'byQueue',
          sourceQueueArns: [props.sourceQueue.queueArn],
        }),
      },
    },
    physicalResourceId: PhysicalResourceId.of('redrive-allow-policy'),
  };
  return new AwsCustomResource(scope, id, {
    resourceType: 'Custom::SqsRedriveAllowPolicy',
    serviceTimeout: CUSTOM_RESOURCE_SERVICE_TIMEOUT,
    onCreate: call,
    onUpdate: call,
    policy: AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        sid: 'SetDeadLetterRedriveAllowPolicy',
        actions: ['sqs:SetQueueAttributes'],
        resources: [props.deadLetterQueue.queueArn],
      }),
    ]),
    installLatestAwsSdk: false,
    ...(own === undefined ? {} : { role: own.role, logGroup: own.logGroup }),
  });
}
