/**
 * The deploy-time connection check against what a destination stream's description reveals, with
 * Kinesis answers shaped as the API reference documents them: the stream's KMS key against
 * `kmsKeyArn` (refused when it would make every export fail with KMSAccessDenied), a record
 * distribution strategy that ignores partition keys (refused), the largest record (read), the
 * exporter's kms:GenerateDataKey simulated on the real key, the read-only session of an assumed
 * role, and redaction of every failure reason and logged error.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { connectionCheckSessionPolicy } from '../../../core/session-policies.js';
import { ConnectionCheckError } from '../../../lambdas/commons/errors.js';
import {
  checkDestinations,
  runConnectionCheck,
} from '../../../lambdas/connection-check/check-destinations.js';
import { checkContext, checkDeps, checkEvent, checkOf } from '../../helpers/connection-check.js';
import {
  awsError,
  encryptedStreamSummary,
  keyMetadata,
  OTHER_KEY_ARN,
  STREAM_ARN,
  STREAM_KEY_ARN,
  STREAM_KEY_ID,
  streamSummary,
} from '../../helpers/kinesis-answers.js';

const kinesis = mockClient(KinesisClient);
const kms = mockClient(KMSClient);
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);

const PARTNER_ROLE = 'arn:aws:iam::210987654321:role/exporter';
const PARTNER_STREAM = 'arn:aws:kinesis:us-east-2:210987654321:stream/profile-exports';
const marketing = {
  destinationId: 'marketing',
  region: 'us-east-2',
  streamName: 'profile-exports',
  streamArn: STREAM_ARN,
};
const partner = {
  destinationId: 'partner',
  region: 'us-east-2',
  streamName: 'profile-exports',
  streamArn: PARTNER_STREAM,
  roleArn: PARTNER_ROLE,
  externalId: 'ext-123',
};

/** Credentials the partner's role hands out; none of them may reach a failure reason or a log line. */
const ASSUMED = {
  AccessKeyId: 'ASIAQ3EGUQZ7EXAMPLE1',
  SecretAccessKey: 'c2VjcmV0LWtleS1vZi10aGUtcGFydG5lci1zZXNzaW9u',
  SessionToken: `FwoGZXIvYXdzE${'Bc3RzLXNlc3Npb24tdG9rZW4'.repeat(6)}`,
  Expiration: new Date(Date.now() + 900_000),
};

/** The Create event of a check of `destinations`. */
const event = (destinations: Record<string, string>[]) => checkEvent('Create', checkOf(destinations));
const deps = () => checkDeps({ kms: true });

async function failureOf(destinations: Record<string, string>[], d = deps()): Promise<string> {
  try {
    await runConnectionCheck(event(destinations), checkContext, d);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectionCheckError);
    return (error as Error).message;
  }
  throw new Error('the check passed');
}

/** The simulated kms:GenerateDataKey calls' resources. */
function simulatedKeys(): string[] {
  return iam
    .commandCalls(SimulatePrincipalPolicyCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.ActionNames?.includes('kms:GenerateDataKey'))
    .flatMap((input) => input.ResourceArns ?? []);
}

beforeEach(() => {
  for (const m of [kinesis, kms, iam, sts, cloudFormation]) m.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      { StackName: 'KinesisDestination', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() },
    ],
  });
  iam
    .on(SimulatePrincipalPolicyCommand)
    .callsFake((input: { ActionNames: string[]; ResourceArns: string[] }) => ({
      EvaluationResults: input.ActionNames.map((action) => ({
        EvalActionName: action,
        EvalResourceName: input.ResourceArns[0],
        EvalDecision: 'allowed',
      })),
    }));
  kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary());
});

describe('runConnectionCheck(): the stream’s KMS key', () => {
  it('refuses a configured key that is not the stream’s key, naming both and the fix', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(STREAM_KEY_ARN));

    const message = await failureOf([{ ...marketing, kmsKeyArn: OTHER_KEY_ARN }]);

    expect(message).toContain(
      `FAILED stream-key: stream "profile-exports" is encrypted with the key ${STREAM_KEY_ARN}, not with the configured kmsKeyArn ${OTHER_KEY_ARN}: the exporter would be granted the wrong key, so every export would fail with KMSAccessDenied; set "kmsKeyArn": "${STREAM_KEY_ARN}" for destination "marketing" and redeploy`,
    );
    // The export role is simulated on the key the stream really uses.
    expect(simulatedKeys()).toEqual([STREAM_KEY_ARN]);
  });

  it('refuses a KMS-encrypted stream without a configured key', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(STREAM_KEY_ARN));

    const message = await failureOf([marketing]);

    expect(message).toContain(
      `FAILED stream-key: stream "profile-exports" is encrypted with the customer-managed key ${STREAM_KEY_ARN}, but the destination has no kmsKeyArn`,
    );
  });

  it.each([
    ['a bare key id', STREAM_KEY_ID],
    ['the key ARN in upper case', STREAM_KEY_ARN.replace(STREAM_KEY_ID, STREAM_KEY_ID.toUpperCase())],
  ])('passes the configured key when the stream names it by %s', async (_label, keyId) => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(keyId));

    const response = await runConnectionCheck(
      event([{ ...marketing, kmsKeyArn: STREAM_KEY_ARN }]),
      checkContext,
      deps(),
    );

    expect(response.Data).toEqual({ Checked: 'marketing' });
    expect(simulatedKeys()).toEqual([STREAM_KEY_ARN]);
  });

  it('resolves a key the stream names by an alias ARN with kms:DescribeKey, and compares that', async () => {
    const alias = 'arn:aws:kms:us-east-2:123456789012:alias/profile-exports';
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(alias));
    kms.on(DescribeKeyCommand, { KeyId: alias }).resolves(keyMetadata(STREAM_KEY_ARN));

    await expect(
      runConnectionCheck(event([{ ...marketing, kmsKeyArn: STREAM_KEY_ARN }]), checkContext, deps()),
    ).resolves.toMatchObject({ Data: { Checked: 'marketing' } });
    expect(await failureOf([{ ...marketing, kmsKeyArn: OTHER_KEY_ARN }])).toContain(
      `is encrypted with the key ${STREAM_KEY_ARN}, not with the configured kmsKeyArn ${OTHER_KEY_ARN}`,
    );
  });

  it('lets the deployment go on with a warning when an alias cannot be resolved', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary('alias/profile-exports'));
    kms.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException', 'not authorized: kms:DescribeKey'));
    const d = deps();

    const response = await runConnectionCheck(
      event([{ ...marketing, kmsKeyArn: STREAM_KEY_ARN }]),
      checkContext,
      d,
    );

    expect(response.Data).toEqual({ Checked: 'marketing' });
    expect(d.logger.lines.map((l) => JSON.parse(l))).toContainEqual({
      level: 'warn',
      message: 'connection check found something to fix',
      extra: [{ destinationId: 'marketing', code: 'stream-key', count: 1 }],
    });
    // The configured key is the best knowledge of the key the exporter uses.
    expect(simulatedKeys()).toEqual([STREAM_KEY_ARN]);
  });

  it('refuses a configured key for a stream under the AWS managed key, and needs none without one', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary('alias/aws/kinesis'));

    expect(await failureOf([{ ...marketing, kmsKeyArn: STREAM_KEY_ARN }])).toContain(
      'FAILED stream-key: stream "profile-exports" is encrypted with the AWS managed key aws/kinesis, not with the configured kmsKeyArn',
    );
    iam.resetHistory();
    await expect(runConnectionCheck(event([marketing]), checkContext, deps())).resolves.toMatchObject({
      Data: { Checked: 'marketing' },
    });
    expect(simulatedKeys()).toEqual([]);
  });
});

describe('runConnectionCheck(): the record distribution strategy', () => {
  it('refuses a stream that distributes records with AUTO, with the command that sets it back', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary({ RecordDistributionStrategy: 'AUTO' }));

    const message = await failureOf([marketing]);

    expect(message).toContain(
      `FAILED record-distribution: stream "profile-exports" distributes records with AUTO: Kinesis ignores the partition key (the profile id), so one profile's exports land on any shard and consumers can read them out of order; set the strategy back: aws kinesis update-stream-record-distribution-strategy --stream-arn ${STREAM_ARN} --record-distribution-strategy USER_PARTITION_KEY --region us-east-2`,
    );
  });

  it('passes a provisioned stream, which reports no strategy', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(
      streamSummary({
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        RecordDistributionStrategy: undefined,
      }),
    );

    await expect(runConnectionCheck(event([marketing]), checkContext, deps())).resolves.toMatchObject({
      Data: { Checked: 'marketing' },
    });
  });
});

describe('runConnectionCheck(): the largest record', () => {
  it('reads MaxRecordSizeInKiB: a stream taking 10 MiB records holds every record the pipeline puts', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary({ MaxRecordSizeInKiB: 10240 }));

    const [result] = await checkDestinations([marketing], '123456789012', deps());

    expect(result?.report.checks.find((c) => c.check === 'record-size')).toEqual({
      check: 'record-size',
      status: 'passed',
      message:
        'stream "profile-exports" accepts records up to 10240 KiB; the pipeline puts at most 1024 KiB (what an export queue message carries)',
    });
    expect(result?.report.checks.map((c) => c.check)).toEqual([
      'stream-exists',
      'stream-active',
      'stream-key',
      'record-distribution',
      'record-size',
    ]);
  });
});

describe('runConnectionCheck(): a destination written through an assumed role', () => {
  beforeEach(() => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: ASSUMED });
    kinesis.on(ListStreamsCommand).resolves({
      StreamNames: ['profile-exports'],
      HasMoreStreams: false,
      StreamSummaries: [
        {
          StreamName: 'profile-exports',
          StreamARN: PARTNER_STREAM,
          StreamStatus: 'ACTIVE',
          StreamModeDetails: { StreamMode: 'ON_DEMAND' },
          StreamCreationTimestamp: new Date('2024-01-01T00:00:00Z'),
        },
      ],
    });
  });

  it('assumes the role with the read-only session policy', async () => {
    await runConnectionCheck(event([partner]), checkContext, deps());

    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ RoleArn: PARTNER_ROLE, ExternalId: 'ext-123' });
    expect(JSON.parse(input?.Policy ?? '{}')).toEqual(
      connectionCheckSessionPolicy({ streamArn: PARTNER_STREAM, region: 'us-east-2' }),
    );
  });

  it('skips the stream rules, and lets the deployment go on, when the role may not describe the stream', async () => {
    kinesis
      .on(DescribeStreamSummaryCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to perform: kinesis:DescribeStreamSummary'));
    const d = deps();

    const response = await runConnectionCheck(event([partner]), checkContext, d);
    const [result] = await checkDestinations([partner], '123456789012', d);

    expect(response.Data).toEqual({ Checked: 'partner' });
    expect(result?.report.checks.map((c) => [c.check, c.status])).toEqual([
      ['list-streams', 'passed'],
      ['stream-exists', 'passed'],
      ['stream-active', 'passed'],
      ['stream-key', 'skipped'],
      ['record-distribution', 'skipped'],
      ['record-size', 'skipped'],
    ]);
    expect(result?.report.checks[3]?.message).toContain("allow it to the destination's role");
  });

  it('refuses an AUTO stream it may describe', async () => {
    kinesis
      .on(DescribeStreamSummaryCommand)
      .resolves(streamSummary({ StreamARN: PARTNER_STREAM, RecordDistributionStrategy: 'AUTO' }));

    expect(await failureOf([partner])).toContain('FAILED record-distribution');
  });
});

describe('runConnectionCheck(): redaction of every failure reason and logged error', () => {
  const secrets = [ASSUMED.AccessKeyId, ASSUMED.SecretAccessKey, ASSUMED.SessionToken.slice(0, 30)];
  const expectRedacted = (text: string) => {
    for (const secret of secrets) expect(text).not.toContain(secret);
  };

  it('redacts an error that quotes the session’s credentials from the failure reason', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: ASSUMED });
    kinesis
      .on(ListStreamsCommand)
      .rejects(
        awsError(
          'InvalidSignatureException',
          `Signature expired for Credential=${ASSUMED.AccessKeyId}/20240101/us-east-2/kinesis; secret ${ASSUMED.SecretAccessKey}; x-amz-security-token:${ASSUMED.SessionToken}`,
        ),
      );

    const message = await failureOf([partner]);

    expect(message).toContain('FAILED list-streams: kinesis:ListStreams failed (InvalidSignatureException');
    expectRedacted(message);
  });

  it('redacts a failed AssumeRole whose message quotes an access key id', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejects(awsError('InvalidClientTokenId', `The security token for AKIAIOSFODNN7EXAMPLE is invalid`));

    const message = await failureOf([partner]);

    expect(message).toContain('could not obtain the exporter');
    expect(message).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('redacts an unexpected failure, and the stack status error it logs', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(awsError('ExpiredTokenException', `The security token ${ASSUMED.SessionToken} expired`));
    const d = deps();

    const message = await failureOf([{ ...marketing, streamName: 42 as never }], d);

    expect(message).toMatch(/^the connection check could not run: ZodError/);
    expect(d.logger.lines[0]).toContain('ExpiredTokenException');
    expectRedacted(d.logger.lines.join('\n'));
  });
});
