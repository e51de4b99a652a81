import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionCheckError } from '../../../lambdas/commons/errors.js';
import { runConnectionCheck } from '../../../lambdas/connection-check/check-destinations.js';
import { checkContext, checkDeps, checkEvent, checkOf } from '../../helpers/connection-check.js';

const kinesis = mockClient(KinesisClient);
const iam = mockClient(IAMClient);
const cloudFormation = mockClient(CloudFormationClient);

const marketing = { destinationId: 'marketing', region: 'us-east-2', streamName: 'profile-exports' };

beforeEach(() => {
  kinesis.reset();
  iam.reset();
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'stack', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() }],
  });
  // The export role holds every action it is asked about.
  iam
    .on(SimulatePrincipalPolicyCommand)
    .callsFake((input: { ActionNames: string[]; ResourceArns: string[] }) => ({
      EvaluationResults: input.ActionNames.map((action) => ({
        EvalActionName: action,
        EvalResourceName: input.ResourceArns[0],
        EvalDecision: 'allowed',
      })),
    }));
});

describe('runConnectionCheck()', () => {
  it('answers with the checked destinations when every stream is there and ACTIVE', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves({
      StreamDescriptionSummary: { StreamName: 'profile-exports', StreamStatus: 'ACTIVE' } as never,
    });

    const response = await runConnectionCheck(
      checkEvent('Create', checkOf([marketing])),
      checkContext,
      checkDeps(),
    );

    expect(response).toEqual({
      PhysicalResourceId: 'connection-check-ConnectionCheck',
      Data: { Checked: 'marketing' },
    });
  });

  it('fails the deployment naming the destination and the failed check, and logs only its id and code', async () => {
    kinesis
      .on(DescribeStreamSummaryCommand)
      .rejects(
        Object.assign(new Error('Stream profile-exports not found'), { name: 'ResourceNotFoundException' }),
      );
    const d = checkDeps();

    const run = runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, d);

    await expect(run).rejects.toThrow(ConnectionCheckError);
    await expect(run).rejects.toThrow(
      /destination "marketing" \(stream profile-exports\):\nPASSED export-role: .*\nFAILED stream-exists/,
    );
    expect(d.logger.lines).toHaveLength(1);
    expect(JSON.parse(d.logger.lines[0] ?? '{}')).toEqual({
      level: 'error',
      message: 'connection check failed',
      extra: [{ destinationId: 'marketing', code: 'stream-exists', failed: 1 }],
    });
  });

  it('does nothing on delete', async () => {
    const response = await runConnectionCheck(
      checkEvent('Delete', checkOf([marketing])),
      checkContext,
      checkDeps(),
    );

    expect(response).toEqual({ PhysicalResourceId: 'connection-check-ConnectionCheck' });
    expect(kinesis.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});
