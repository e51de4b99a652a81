/**
 * `validate` against what a destination stream's description reveals, with Kinesis answers shaped
 * as the API reference documents them: the stream's KMS key against `kmsKeyArn` (failed, with the
 * fix), a record distribution strategy that ignores partition keys (a warning with the fix; the probe
 * is not sent, since such a stream would store it), the largest record (read), and rows redacted.
 */
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatValidationTable, type ValidateCheck, validateDestination } from '../../cli/validate.js';
import type { Destination } from '../../core/config.js';
import {
  awsError,
  encryptedStreamSummary,
  keyMetadata,
  OTHER_KEY_ARN,
  STREAM_ARN,
  STREAM_KEY_ARN,
  streamSummary,
} from '../helpers/kinesis-answers.js';

const sts = mockClient(STSClient);
const kinesis = mockClient(KinesisClient);
const kms = mockClient(KMSClient);
const secrets = mockClient(SecretsManagerClient);

const destination: Destination = {
  id: 'marketing',
  name: 'Marketing',
  region: 'us-east-2',
  streamName: 'profile-exports',
  includeSegmentNames: false,
  includeSegmentTimestamps: false,
  segments: [{ id: 'seg-1', mappingCreatedAt: 1, mappingUpdatedAt: 1 }],
  attributes: [],
};

const rowOf = (rows: readonly ValidateCheck[], check: string) => rows.find((r) => r.check === check);

beforeEach(() => {
  for (const m of [sts, kinesis, kms, secrets]) m.reset();
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ops' });
  kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['profile-exports'], HasMoreStreams: false });
  kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary());
  kinesis
    .on(PutRecordsCommand)
    .rejects(awsError('InvalidArgumentException', 'ExplicitHashKey must be in the range: [0, 2^128-1].'));
  kms.on(DescribeKeyCommand).resolves(keyMetadata(STREAM_KEY_ARN));
  kms.on(GenerateDataKeyCommand).resolves({ KeyId: STREAM_KEY_ARN });
});

describe('validateDestination(): the stream’s KMS key', () => {
  it('fails a configured key that is not the stream’s key, with the key to set', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(STREAM_KEY_ARN));

    const rows = await validateDestination({ ...destination, kmsKeyArn: OTHER_KEY_ARN });

    expect(rowOf(rows, 'stream-key')).toEqual({
      destinationId: 'marketing',
      check: 'stream-key',
      status: 'failed',
      detail: `stream "profile-exports" is encrypted with the key ${STREAM_KEY_ARN}, not with the configured kmsKeyArn ${OTHER_KEY_ARN}: the exporter would be granted the wrong key, so every export would fail with KMSAccessDenied`,
      fix: `set "kmsKeyArn": "${STREAM_KEY_ARN}" for destination "marketing" and redeploy, so that the exporter is granted kms:GenerateDataKey on it (the key policy must allow it too)`,
    });
  });

  it('fails a KMS-encrypted stream without a configured key', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary(STREAM_KEY_ARN));

    const rows = await validateDestination(destination);

    expect(rowOf(rows, 'stream-key')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('but the destination has no kmsKeyArn'),
    });
  });

  it('resolves a key named by an alias with kms:DescribeKey, as the principal', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(encryptedStreamSummary('alias/profile-exports'));

    const rows = await validateDestination({ ...destination, kmsKeyArn: STREAM_KEY_ARN });

    expect(rowOf(rows, 'stream-key')?.status).toBe('passed');
    expect(kms.commandCalls(DescribeKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: 'alias/profile-exports',
    });
  });
});

describe('validateDestination(): the record distribution strategy', () => {
  it('warns about an AUTO stream with the command that sets it back, and sends no probe it would store', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary({ RecordDistributionStrategy: 'AUTO' }));

    const rows = await validateDestination(destination);

    expect(rowOf(rows, 'record-distribution')).toMatchObject({
      status: 'warning',
      fix: `set the strategy back: aws kinesis update-stream-record-distribution-strategy --stream-arn ${STREAM_ARN} --record-distribution-strategy USER_PARTITION_KEY --region us-east-2`,
    });
    expect(rowOf(rows, 'put-records')?.status).toBe('skipped');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(rows.some((r) => r.status === 'failed')).toBe(false);
    expect(formatValidationTable(rows)).toContain('WARNING  marketing    record-distribution');
  });
});

describe('validateDestination(): the largest record', () => {
  it('reads MaxRecordSizeInKiB', async () => {
    kinesis.on(DescribeStreamSummaryCommand).resolves(streamSummary({ MaxRecordSizeInKiB: 10240 }));

    const rows = await validateDestination(destination);

    expect(rowOf(rows, 'record-size')).toMatchObject({
      status: 'passed',
      detail:
        'stream "profile-exports" accepts records up to 10240 KiB; the pipeline puts at most 1024 KiB (what an export queue message carries)',
    });
  });

  it('skips the stream rules, with why, when the principal may not describe the stream', async () => {
    kinesis
      .on(DescribeStreamSummaryCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to perform: kinesis:DescribeStreamSummary'));

    const rows = await validateDestination(destination);

    expect(['stream-key', 'record-distribution', 'record-size'].map((c) => rowOf(rows, c)?.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(rowOf(rows, 'put-records')?.status).toBe('passed');
  });
});

describe('validateDestination(): redaction', () => {
  it('takes the access key of the secret out of every row', async () => {
    const key = {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
    };
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(key) });
    kinesis
      .on(DescribeStreamSummaryCommand)
      .rejects(
        awsError(
          'InvalidSignatureException',
          `bad signature for ${key.accessKeyId} with ${key.secretAccessKey}`,
        ),
      );

    const rows = await validateDestination({
      ...destination,
      credentialsSecretArn: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:writer-AbCdEf',
    });

    const text = rows.map((r) => `${r.detail} ${r.fix ?? ''}`).join('\n');
    expect(text).toContain('InvalidSignatureException');
    expect(text).not.toContain(key.accessKeyId);
    expect(text).not.toContain(key.secretAccessKey);
  });
});
