/**
 * The connection check's custom-resource events, context and dependencies, for the tests that run
 * `runConnectionCheck` against mocked clients (aws-sdk-client-mock intercepts the clients made here).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { STREAM_REGION } from './kinesis-answers.js';
import { logRecorder } from './recorders.js';

export const CHECK_STACK_ID = 'arn:aws:cloudformation:us-east-2:123456789012:stack/KinesisDestination/abc';
export const EXPORT_ROLE = 'arn:aws:iam::123456789012:role/KinesisDestination-export-us-east-2';
export const checkContext = { invokedFunctionArn: 'arn:aws:lambda:us-east-2:123456789012:function:check' };

type RequestType = CloudFormationCustomResourceEvent['RequestType'];

/**
 * A CloudFormation custom-resource event for the check: an existing resource's physical id on Update
 * and Delete, the old properties (no destinations) on Update.
 */
export function checkEvent(
  requestType: RequestType,
  properties: Record<string, unknown>,
  resourceType = 'Custom::KinesisConnectionCheck',
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: 'https://example.com',
    StackId: CHECK_STACK_ID,
    RequestId: 'req',
    LogicalResourceId: 'ConnectionCheck',
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'token', ...properties },
    ...(requestType !== 'Create' && { PhysicalResourceId: 'connection-check-ConnectionCheck' }),
    ...(requestType === 'Update' && { OldResourceProperties: { ServiceToken: 'token', Destinations: [] } }),
  } as CloudFormationCustomResourceEvent;
}

/** The check's properties: the export role and the destinations to check. */
export const checkOf = (destinations: Record<string, string>[]) => ({
  ExportRoleArn: EXPORT_ROLE,
  Destinations: destinations,
});

/**
 * The check's dependencies: mocked-by-class clients, a log recorder and a sleep that only records
 * its delays (`sleeps`); a KMS client only with `kms` (the check takes one optionally, to resolve a key alias).
 */
export function checkDeps(options: { readonly kms?: boolean } = {}) {
  const sleeps: number[] = [];
  return {
    sts: new STSClient({}),
    secrets: new SecretsManagerClient({}),
    iam: new IAMClient({}),
    cloudFormation: new CloudFormationClient({}),
    kinesisFor: () => new KinesisClient({ region: STREAM_REGION }),
    ...(options.kms === true && { kmsFor: () => new KMSClient({ region: STREAM_REGION }) }),
    logger: logRecorder(),
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
  };
}
