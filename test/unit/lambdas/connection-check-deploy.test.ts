import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionCheckError } from '../../../lambdas/commons/errors.js';
import { runConnectionCheck } from '../../../lambdas/connection-check/check-destinations.js';
import { requiredPermissions } from '../../../lambdas/connection-check/role-simulation.js';
import {
  CHECK_STACK_ID,
  checkContext,
  checkDeps,
  checkEvent,
  checkOf,
  EXPORT_ROLE,
} from '../../helpers/connection-check.js';
import { encryptedStreamSummary, STREAM_ARN } from '../../helpers/kinesis-answers.js';

const kinesis = mockClient(KinesisClient);
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);

const KEY_ARN = 'arn:aws:kms:us-east-2:123456789012:key/1234';
const marketing = {
  destinationId: 'marketing',
  region: 'us-east-2',
  streamName: 'profile-exports',
  streamArn: STREAM_ARN,
};

type RequestType = CloudFormationCustomResourceEvent['RequestType'];

/** The simulator's answer: `decide(action)` for every action asked about. */
function simulator(decide: (action: string) => string, extra: Record<string, unknown> = {}) {
  return (input: { ActionNames: string[]; ResourceArns: string[] }) => ({
    EvaluationResults: input.ActionNames.map((action) => ({
      EvalActionName: action,
      EvalResourceName: input.ResourceArns[0],
      EvalDecision: decide(action),
      ...extra,
    })),
  });
}

const stackStatus = (status: string) =>
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'KinesisDestination', StackStatus: status as never, CreationTime: new Date() }],
  });

beforeEach(() => {
  for (const m of [kinesis, iam, sts, cloudFormation]) m.reset();
  stackStatus('UPDATE_IN_PROGRESS');
  iam.on(SimulatePrincipalPolicyCommand).callsFake(simulator(() => 'allowed'));
  kinesis.on(DescribeStreamSummaryCommand).resolves({
    StreamDescriptionSummary: { StreamName: 'profile-exports', StreamStatus: 'ACTIVE' } as never,
  });
});

describe('runConnectionCheck(): when it does nothing', () => {
  it('does nothing on Delete, without reading the stack', async () => {
    const response = await runConnectionCheck(
      checkEvent('Delete', checkOf([marketing])),
      checkContext,
      checkDeps(),
    );

    expect(response).toEqual({ PhysicalResourceId: 'connection-check-ConnectionCheck' });
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    expect(kinesis.calls()).toHaveLength(0);
  });

  it.each(['UPDATE_ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'])(
    'skips the Update CloudFormation sends while the stack is %s (the old properties, swapped)',
    async (status) => {
      stackStatus(status);
      // The rolled-back-to destination's stream may be gone: checking it would fail the rollback.
      kinesis
        .on(DescribeStreamSummaryCommand)
        .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));

      const response = await runConnectionCheck(
        checkEvent('Update', checkOf([marketing])),
        checkContext,
        checkDeps(),
      );

      expect(response).toEqual({
        PhysicalResourceId: 'connection-check-ConnectionCheck',
        Data: { Skipped: 'rollback' },
      });
      expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
        StackName: CHECK_STACK_ID,
      });
      expect(iam.calls()).toHaveLength(0);
      expect(kinesis.calls()).toHaveLength(0);
    },
  );

  it('skips the stream-name check during a rollback too', async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    const streams = { Streams: [{ ...marketing, logicalId: 'DestinationsStreammarketingA5BFC6D9' }] };

    const response = await runConnectionCheck(
      checkEvent('Update', streams, 'Custom::KinesisStreamNameCheck'),
      checkContext,
      checkDeps(),
    );

    expect(response.Data).toEqual({ Skipped: 'rollback' });
    expect(kinesis.calls()).toHaveLength(0);
  });

  it('checks an ordinary update, and checks when the stack status cannot be read', async () => {
    kinesis
      .on(DescribeStreamSummaryCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    await expect(
      runConnectionCheck(checkEvent('Update', checkOf([marketing])), checkContext, checkDeps()),
    ).rejects.toThrow(/FAILED stream-exists/);

    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const d = checkDeps();
    await expect(
      runConnectionCheck(checkEvent('Update', checkOf([marketing])), checkContext, d),
    ).rejects.toThrow(/FAILED stream-exists/);
    expect(d.logger.lines[0]).toContain('stack status unreadable');
  });
});

describe("runConnectionCheck(): the export role's effective permissions", () => {
  it("simulates the page's three Kinesis actions on the stream and kms:GenerateDataKey on its key", async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(KEY_ARN));

    const response = await runConnectionCheck(
      checkEvent('Create', checkOf([{ ...marketing, kmsKeyArn: KEY_ARN }])),
      checkContext,
      checkDeps(),
    );

    expect(response.Data).toEqual({ Checked: 'marketing' });
    const inputs = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      {
        PolicySourceArn: EXPORT_ROLE,
        ActionNames: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListStreams'],
        ResourceArns: [STREAM_ARN],
      },
      {
        PolicySourceArn: EXPORT_ROLE,
        ActionNames: ['kms:GenerateDataKey'],
        ResourceArns: [KEY_ARN],
        // Kinesis asks KMS for the data key: a grant conditioned on kms:ViaService must see it.
        ContextEntries: [
          {
            ContextKeyName: 'kms:ViaService',
            ContextKeyValues: ['kinesis.us-east-2.amazonaws.com'],
            ContextKeyType: 'string',
          },
        ],
      },
    ]);
  });

  it('fails the deploy naming the missing action, the stream and the fix', async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .callsFake(simulator((action) => (action === 'kinesis:PutRecords' ? 'implicitDeny' : 'allowed')));
    const d = checkDeps();

    const run = runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, d);

    await expect(run).rejects.toThrow(ConnectionCheckError);
    await expect(run).rejects.toThrow(
      `FAILED export-role: the export role ${EXPORT_ROLE} may not kinesis:PutRecords on ${STREAM_ARN} (implicitDeny); grant it to the role — the stack's PutToDestinationStreams statement does: redeploy, or restore the statement if it was edited`,
    );
  });

  it('asks again before failing (IAM is eventually consistent), with growing waits', async () => {
    const d = checkDeps();
    iam.on(SimulatePrincipalPolicyCommand).callsFake(simulator(() => 'implicitDeny'));

    await expect(
      runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, d),
    ).rejects.toThrow(/implicitDeny/);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(4);
    expect(d.sleeps).toEqual([1000, 2000, 4000]);

    iam.reset();
    let calls = 0;
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input) => {
      calls += 1;
      return simulator(() => (calls === 1 ? 'implicitDeny' : 'allowed'))(input);
    });
    await expect(
      runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, checkDeps()),
    ).resolves.toEqual({
      PhysicalResourceId: 'connection-check-ConnectionCheck',
      Data: { Checked: 'marketing' },
    });
  });

  it('says when an explicit Deny or the permissions boundary is the cause', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake(simulator(() => 'explicitDeny'));
    await expect(
      runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, checkDeps()),
    ).rejects.toThrow(
      /\(explicitDeny: a Deny statement in a policy attached to the role blocks it\); remove that statement/,
    );

    iam.on(SimulatePrincipalPolicyCommand).callsFake(
      simulator(() => 'implicitDeny', {
        PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: false },
      }),
    );
    await expect(
      runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, checkDeps()),
    ).rejects.toThrow(
      /its permissions boundary does not allow it\); add kinesis:PutRecord to the boundary policy/,
    );
  });

  it('reports a simulation the check may not run as a failure with its fix', async () => {
    iam.on(SimulatePrincipalPolicyCommand).rejects(
      Object.assign(new Error('not authorized to perform iam:SimulatePrincipalPolicy'), {
        name: 'AccessDenied',
      }),
    );

    await expect(
      runConnectionCheck(checkEvent('Create', checkOf([marketing])), checkContext, checkDeps()),
    ).rejects.toThrow(/needs iam:SimulatePrincipalPolicy on it/);
  });
});

describe('requiredPermissions()', () => {
  it('is sts:AssumeRole on the role of a cross-account destination, GetSecretValue on an access-key secret', () => {
    const roleArn = 'arn:aws:iam::210987654321:role/writer';
    const secretArn = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:writer-AbCdEf';

    expect(requiredPermissions({ ...marketing, roleArn, externalId: 'x1' })).toEqual([
      { action: 'sts:AssumeRole', resource: roleArn, grantedBy: 'AssumeDestinationRoles' },
    ]);
    expect(requiredPermissions({ ...marketing, credentialsSecretArn: secretArn })).toEqual([
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secretArn,
        grantedBy: 'ReadDestinationCredentials',
      },
    ]);
  });
});

describe('runConnectionCheck(): the names of the streams the stack creates', () => {
  const streams = { Streams: [{ ...marketing, logicalId: 'DestinationsStreammarketingA5BFC6D9' }] };
  const nameCheck = (type: RequestType = 'Create') =>
    checkEvent(type, streams, 'Custom::KinesisStreamNameCheck');

  it('passes a name no stream has', async () => {
    cloudFormation
      .on(DescribeStackResourceCommand)
      .rejects(Object.assign(new Error('Resource does not exist for stack'), { name: 'ValidationError' }));
    kinesis
      .on(DescribeStreamSummaryCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));

    await expect(runConnectionCheck(nameCheck(), checkContext, checkDeps())).resolves.toEqual({
      PhysicalResourceId: 'connection-check-ConnectionCheck',
      Data: { Checked: 'marketing' },
    });
  });

  it('stops a redeploy after destroy at a kept stream, with what to do', async () => {
    cloudFormation
      .on(DescribeStackResourceCommand)
      .rejects(Object.assign(new Error('Resource does not exist for stack'), { name: 'ValidationError' }));

    const run = runConnectionCheck(nameCheck(), checkContext, checkDeps());

    await expect(run).rejects.toThrow(ConnectionCheckError);
    await expect(run).rejects.toThrow(
      'destination "marketing": stream "profile-exports" already exists in us-east-2 and is not this stack\'s (a stream an earlier deployment created is kept when its stack is deleted). To keep writing to it with its data, remove createStream from destination "marketing": the stack then imports the stream by name. To start with an empty stream, delete it first: aws kinesis delete-stream --stream-name profile-exports --region us-east-2',
    );
  });

  it("passes the stack's own stream (later updates, or this check added to a stack that has it)", async () => {
    cloudFormation.on(DescribeStackResourceCommand).resolves({
      StackResourceDetail: {
        LogicalResourceId: 'DestinationsStreammarketingA5BFC6D9',
        PhysicalResourceId: 'profile-exports',
        ResourceType: 'AWS::Kinesis::Stream',
        ResourceStatus: 'CREATE_COMPLETE',
        LastUpdatedTimestamp: new Date(),
      },
    });

    await expect(runConnectionCheck(nameCheck('Update'), checkContext, checkDeps())).resolves.toMatchObject({
      Data: { Checked: 'marketing' },
    });
    expect(kinesis.calls()).toHaveLength(0);
  });
});
