import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionCheckError } from '../../../lambdas/commons/errors.js';
import { runConnectionCheck } from '../../../lambdas/connection-check/check-destinations.js';
import { logRecorder } from './recorders.js';

const kinesis = mockClient(KinesisClient);
const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:check' };

function event(
  requestType: 'Create' | 'Delete',
  destinations: Record<string, string>[],
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: 'https://example.com',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'ConnectionCheck',
    ResourceType: 'Custom::ConnectionCheck',
    ResourceProperties: { ServiceToken: 'token', Destinations: destinations },
    ...(requestType === 'Delete' && { PhysicalResourceId: 'connection-check-ConnectionCheck' }),
  } as CloudFormationCustomResourceEvent;
}

function deps() {
  return {
    sts: new STSClient({}),
    secrets: new SecretsManagerClient({}),
    kinesisFor: () => new KinesisClient({ region: 'us-east-2' }),
    logger: logRecorder(),
  };
}

const marketing = { destinationId: 'marketing', region: 'us-east-2', streamName: 'profile-exports' };

beforeEach(() => kinesis.reset());

describe('runConnectionCheck()', () => {
  it('answers with the checked destinations when every stream is there and ACTIVE', async () => {
    kinesis.on(ListStreamsCommand).resolves({
      StreamNames: ['profile-exports'],
      HasMoreStreams: false,
      StreamSummaries: [
        { StreamName: 'profile-exports', StreamARN: 'arn:x', StreamStatus: 'ACTIVE' } as never,
      ],
    });

    const response = await runConnectionCheck(event('Create', [marketing]), context, deps());

    expect(response).toEqual({
      PhysicalResourceId: 'connection-check-ConnectionCheck',
      Data: { Checked: 'marketing' },
    });
  });

  it('fails the deployment naming the destination and the failed check, and logs only its id and code', async () => {
    kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['other'], HasMoreStreams: false });
    const d = deps();

    const run = runConnectionCheck(event('Create', [marketing]), context, d);

    await expect(run).rejects.toThrow(ConnectionCheckError);
    await expect(run).rejects.toThrow(
      /destination "marketing" \(stream profile-exports\):\nPASSED list-streams/,
    );
    expect(d.logger.lines).toHaveLength(1);
    expect(JSON.parse(d.logger.lines[0] ?? '{}')).toEqual({
      level: 'error',
      message: 'connection check failed',
      extra: [{ destinationId: 'marketing', code: 'stream-exists', failed: 1 }],
    });
  });

  it('does nothing on delete', async () => {
    const response = await runConnectionCheck(event('Delete', [marketing]), context, deps());

    expect(response).toEqual({ PhysicalResourceId: 'connection-check-ConnectionCheck' });
    expect(kinesis.calls()).toHaveLength(0);
  });
});
