/**
 * Kinesis and KMS answers shaped as the API references document them, for mocked clients
 * (aws-sdk-client-mock): DescribeStreamSummary's `StreamDescriptionSummary` with every field the
 * reference lists (the SDK's output type), and DescribeKey's `KeyMetadata`.
 */
import type { DescribeStreamSummaryCommandOutput, StreamDescriptionSummary } from '@aws-sdk/client-kinesis';
import type { DescribeKeyCommandOutput } from '@aws-sdk/client-kms';

/** The account, region and stream of the answers below. */
export const STREAM_ACCOUNT = '123456789012';
export const STREAM_REGION = 'us-east-2';
export const STREAM_NAME = 'profile-exports';
export const STREAM_ARN = `arn:aws:kinesis:${STREAM_REGION}:${STREAM_ACCOUNT}:stream/${STREAM_NAME}`;

/** A customer-managed key of the stream's account and region, by ARN, and another one. */
export const STREAM_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
export const STREAM_KEY_ARN = `arn:aws:kms:${STREAM_REGION}:${STREAM_ACCOUNT}:key/${STREAM_KEY_ID}`;
export const OTHER_KEY_ARN = `arn:aws:kms:${STREAM_REGION}:${STREAM_ACCOUNT}:key/0987dcba-09ba-87dc-65fe-0987654321ba`;

/**
 * DescribeStreamSummary's answer for an ACTIVE on-demand stream, unencrypted, distributing by
 * partition key, with the default 1 MiB records; `overrides` change the summary's fields.
 */
export function streamSummary(
  overrides: Partial<StreamDescriptionSummary> = {},
): DescribeStreamSummaryCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    StreamDescriptionSummary: {
      StreamName: STREAM_NAME,
      StreamARN: STREAM_ARN,
      StreamId: 'abcdefghij0123456789-abc',
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: new Date('2024-01-01T00:00:00Z'),
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      EncryptionType: 'NONE',
      OpenShardCount: 4,
      ConsumerCount: 0,
      MaxRecordSizeInKiB: 1024,
      RecordDistributionStrategy: 'USER_PARTITION_KEY',
      ...overrides,
    },
  };
}

/** The summary of a stream encrypted with `keyId` (a key id, key ARN, alias name or alias ARN). */
export function encryptedStreamSummary(
  keyId: string,
  overrides: Partial<StreamDescriptionSummary> = {},
): DescribeStreamSummaryCommandOutput {
  return streamSummary({ EncryptionType: 'KMS', KeyId: keyId, ...overrides });
}

/** DescribeKey's answer for an enabled symmetric customer-managed key. */
export function keyMetadata(arn: string): DescribeKeyCommandOutput {
  const keyId = arn.split('/').pop() ?? '';
  return {
    $metadata: { httpStatusCode: 200 },
    KeyMetadata: {
      AWSAccountId: arn.split(':')[4],
      KeyId: keyId,
      Arn: arn,
      CreationDate: new Date('2024-01-01T00:00:00Z'),
      Enabled: true,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    },
  };
}

/** An AWS service error as the SDK throws it. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
