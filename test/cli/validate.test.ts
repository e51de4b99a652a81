import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PROBE_EXPLICIT_HASH_KEY } from '../../adapters/connection-check.js';
import {
  formatValidationTable,
  localSkips,
  type ValidateCheck,
  validateDestination,
} from '../../cli/validate.js';
import { parsedDestination } from '../helpers/factories.js';
import { encryptedStreamSummary, streamSummary } from '../helpers/kinesis-answers.js';

const sts = mockClient(STSClient);
const kinesis = mockClient(KinesisClient);
const kms = mockClient(KMSClient);
const secrets = mockClient(SecretsManagerClient);

const destination = parsedDestination({ attributes: [] });

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });
}

/** What a working account answers. */
function healthyAccount(): void {
  sts.on(GetCallerIdentityCommand).resolves({
    Account: '123456789012',
    Arn: 'arn:aws:iam::123456789012:user/ops',
  });
  kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['profile-exports'], HasMoreStreams: false });
  kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary());
  // The probe's out-of-range hash key is refused after authorization.
  kinesis
    .on(PutRecordsCommand)
    .rejects(
      awsError(
        'InvalidArgumentException',
        'Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1].',
      ),
    );
}

function statuses(rows: readonly ValidateCheck[]): [string, string][] {
  return rows.map((r) => [r.check, r.status]);
}

beforeEach(() => {
  sts.reset();
  kinesis.reset();
  kms.reset();
  secrets.reset();
});

describe('validateDestination()', () => {
  it('passes every check on a working destination without writing a record', async () => {
    healthyAccount();

    const rows = await validateDestination(destination);

    expect(statuses(rows)).toEqual([
      ['credentials', 'passed'],
      ['list-streams', 'passed'],
      ['stream-exists', 'passed'],
      ['stream-active', 'passed'],
      ['stream-key', 'passed'],
      ['record-distribution', 'passed'],
      ['record-size', 'passed'],
      ['put-records', 'passed'],
    ]);
    const probe = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(probe?.Records).toHaveLength(1);
    expect(probe?.Records?.[0]?.ExplicitHashKey).toBe(PROBE_EXPLICIT_HASH_KEY);
    expect(BigInt(PROBE_EXPLICIT_HASH_KEY) > 2n ** 128n - 1n).toBe(true);
    expect(rows.every((r) => r.fix === undefined)).toBe(true);
  });

  it('fails bad credentials with how to configure them, and skips the rest', async () => {
    healthyAccount();
    sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));

    const rows = await validateDestination(destination);

    expect(rows[0]).toMatchObject({ check: 'credentials', status: 'failed' });
    expect(rows[0]?.detail).toContain('InvalidClientTokenId');
    expect(rows[0]?.fix).toContain('configure valid AWS credentials');
    expect(rows.slice(1).every((r) => r.status === 'skipped')).toBe(true);
    expect(kinesis.calls()).toHaveLength(0);
  });

  it('fails an AssumeRole the trust policy refuses, naming the external id', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole'));

    const rows = await validateDestination({
      ...destination,
      roleArn: 'arn:aws:iam::210987654321:role/exporter',
      externalId: 'ext-123',
    });

    expect(rows[0]).toMatchObject({ check: 'credentials', status: 'failed' });
    expect(rows[0]?.fix).toContain('sts:ExternalId');
    expect(rows[0]?.fix).toContain('policy --trust-policy --destination');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.ExternalId).toBe('ext-123');
  });

  it('checks the stream with the assumed role credentials', async () => {
    healthyAccount();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(),
      },
      AssumedRoleUser: { Arn: 'arn:aws:sts::210987654321:assumed-role/exporter/kd', AssumedRoleId: 'x' },
    });

    const rows = await validateDestination({
      ...destination,
      roleArn: 'arn:aws:iam::210987654321:role/exporter',
    });

    expect(statuses(rows).every(([, s]) => s === 'passed')).toBe(true);
    expect(rows[0]?.detail).toContain('assumed-role/exporter');
    const credentials = await kinesis.commandCalls(ListStreamsCommand)[0]?.thisValue.config.credentials();
    expect(credentials?.accessKeyId).toBe('ASIAEXAMPLE');
  });

  it('fails a missing stream with the fix, and skips the status and the probe', async () => {
    healthyAccount();
    kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['other-stream'], HasMoreStreams: false });

    const rows = await validateDestination(destination);

    expect(statuses(rows)).toEqual([
      ['credentials', 'passed'],
      ['list-streams', 'passed'],
      ['stream-exists', 'failed'],
      ['stream-active', 'skipped'],
      ['stream-key', 'skipped'],
      ['record-distribution', 'skipped'],
      ['record-size', 'skipped'],
      ['put-records', 'skipped'],
    ]);
    expect(rows[2]?.fix).toContain('create the stream');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('fails a stream that is not ACTIVE', async () => {
    healthyAccount();
    kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary({ StreamStatus: 'CREATING' }));

    const rows = await validateDestination(destination);

    const active = rows.find((r) => r.check === 'stream-active');
    expect(active).toMatchObject({ status: 'failed' });
    expect(active?.detail).toContain('CREATING');
    expect(active?.fix).toContain('wait until the stream is ACTIVE');
  });

  it('fails a principal without kinesis:PutRecords and points to the policy command', async () => {
    healthyAccount();
    kinesis
      .on(PutRecordsCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: kinesis:PutRecords',
        ),
      );

    const rows = await validateDestination(destination);

    const put = rows.find((r) => r.check === 'put-records');
    expect(put).toMatchObject({ status: 'failed' });
    expect(put?.fix).toContain('npm run cli -- policy --destination marketing');
  });

  it('fails a principal without kinesis:ListStreams', async () => {
    healthyAccount();
    kinesis
      .on(ListStreamsCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized: kinesis:ListStreams'));

    const rows = await validateDestination(destination);

    expect(rows.find((r) => r.check === 'list-streams')).toMatchObject({ status: 'failed' });
    expect(rows.find((r) => r.check === 'list-streams')?.fix).toContain('kinesis:ListStreams on "*"');
    expect(rows.find((r) => r.check === 'put-records')).toMatchObject({ status: 'skipped' });
  });

  it('checks a customer-managed key with GenerateDataKey and fails a disabled one', async () => {
    healthyAccount();
    const keyArn = 'arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(keyArn));
    kms.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException', 'no DescribeKey'));
    kms.on(GenerateDataKeyCommand).rejects(awsError('DisabledException', 'key is disabled'));

    const rows = await validateDestination({ ...destination, kmsKeyArn: keyArn });

    const key = rows.find((r) => r.check === 'kms-key');
    expect(key).toMatchObject({ status: 'failed', fix: 'enable the key (kms enable-key)' });
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input.KeyId).toBe(keyArn);
  });

  it('skips the credentials check against a local Kinesis without an STS endpoint', async () => {
    healthyAccount();

    const rows = await validateDestination(
      destination,
      localSkips({ AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4567' }),
    );

    expect(rows[0]).toMatchObject({ check: 'credentials', status: 'skipped' });
    expect(sts.calls()).toHaveLength(0);
    expect(rows.slice(1).every((r) => r.status === 'passed')).toBe(true);
  });
});

describe('formatValidationTable()', () => {
  it('prints one row per check and the fix under each failure', () => {
    const text = formatValidationTable([
      { destinationId: 'marketing', check: 'credentials', status: 'passed', detail: 'ok' },
      {
        destinationId: 'marketing',
        check: 'stream-exists',
        status: 'failed',
        detail: 'missing',
        fix: 'create it',
      },
    ]);

    expect(text.split('\n')).toEqual([
      'RESULT  DESTINATION  CHECK          DETAIL',
      'PASSED  marketing    credentials    ok',
      'FAILED  marketing    stream-exists  missing',
      '        fix: create it',
      '',
    ]);
  });
});
