import { describe, expect, it } from 'vitest';
import { buildTrustPolicy, buildWritePolicy, policyNotes, streamAccount } from '../../cli/policy.js';
import type { Destination } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';

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

describe('buildWritePolicy()', () => {
  it("grants the page's three actions, PutRecord/PutRecords on the stream ARN only", () => {
    const policy = buildWritePolicy(destination, '901341027596');

    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ListStreams', Effect: 'Allow', Action: ['kinesis:ListStreams'], Resource: '*' },
        {
          Sid: 'PutRecords',
          Effect: 'Allow',
          Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
          Resource: 'arn:aws:kinesis:us-east-2:901341027596:stream/profile-exports',
        },
      ],
    });
  });

  it('adds kms:GenerateDataKey on the key of an encrypted stream', () => {
    const kmsKeyArn = 'arn:aws:kms:us-east-2:901341027596:key/abcd';

    const policy = buildWritePolicy({ ...destination, kmsKeyArn }, '901341027596');

    expect(policy.Statement[2]).toEqual({
      Sid: 'EncryptRecords',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey'],
      Resource: kmsKeyArn,
    });
  });

  it('uses the partition of China and GovCloud regions', () => {
    const policy = buildWritePolicy({ ...destination, region: 'cn-north-1' }, '123456789012');

    expect(policy.Statement[1]?.Resource).toBe(
      'arn:aws-cn:kinesis:cn-north-1:123456789012:stream/profile-exports',
    );
  });
});

describe('streamAccount()', () => {
  it('prefers --account, then accountId, then the role account', () => {
    const roleArn = 'arn:aws:iam::210987654321:role/exporter';

    expect(streamAccount({ ...destination, accountId: '111111111111', roleArn }, '222222222222')).toBe(
      '222222222222',
    );
    expect(streamAccount({ ...destination, accountId: '111111111111', roleArn }, undefined)).toBe(
      '111111111111',
    );
    expect(streamAccount({ ...destination, roleArn }, undefined)).toBe('210987654321');
  });

  it('asks for --account when the account is unknown', () => {
    expect(() => streamAccount(destination, undefined)).toThrow(UsageError);
    expect(() => streamAccount(destination, undefined)).toThrow(/--account/);
  });
});

describe('buildTrustPolicy()', () => {
  it("lets the exporter's role assume the cross-account role only with the external id", () => {
    const d = { ...destination, roleArn: 'arn:aws:iam::210987654321:role/exporter', externalId: 'ext-123' };

    const policy = buildTrustPolicy(d, 'arn:aws:iam::123456789012:role/KinesisDestination-Export');

    expect(policy.Statement).toEqual([
      {
        Sid: 'KinesisDestinationExporter',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:role/KinesisDestination-Export' },
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'sts:ExternalId': 'ext-123' } },
      },
    ]);
  });
});

describe('policyNotes()', () => {
  it('explains the wildcard and where a cross-account policy goes', () => {
    const notes = policyNotes(
      { ...destination, roleArn: 'arn:aws:iam::210987654321:role/exporter', externalId: 'x1' },
      '210987654321',
    );

    expect(notes[0]).toContain('IAM cannot scope it to one stream');
    expect(notes.join('\n')).toContain('Attach this policy to arn:aws:iam::210987654321:role/exporter');
  });
});
