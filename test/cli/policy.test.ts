import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  assumingRoleArns,
  buildTrustPolicy,
  buildWritePolicy,
  pipelineLocation,
  policyNotes,
  streamAccount,
} from '../../cli/policy.js';
import type { Destination } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { parsedDestination } from '../helpers/factories.js';

const destination = parsedDestination({ attributes: [] });

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
  const at = { stack: 'KinesisDestination', region: 'us-east-2', account: '123456789012' };
  const crossAccount = {
    ...destination,
    roleArn: 'arn:aws:iam::210987654321:role/exporter',
    externalId: 'ext-123',
  };

  it("lets exactly the pipeline's export and connection-check roles assume the role, only with the external id", () => {
    const policy = buildTrustPolicy(crossAccount, at);

    expect(policy.Statement).toEqual([
      {
        Sid: 'KinesisDestinationPipelineRoles',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: ['sts:AssumeRole'],
        Condition: {
          StringEquals: { 'sts:ExternalId': 'ext-123' },
          ArnEquals: {
            'aws:PrincipalArn': [
              'arn:aws:iam::123456789012:role/KinesisDestination-export-us-east-2',
              'arn:aws:iam::123456789012:role/KinesisDestination-check-us-east-2',
            ],
          },
        },
      },
    ]);
    // Never a pattern that matches every role of the stack.
    expect(JSON.stringify(policy)).not.toContain('*');
  });

  it('names the roles of the stack and region it is given, in their partition', () => {
    const policy = buildTrustPolicy(crossAccount, {
      stack: 'Exports-prod',
      region: 'cn-north-1',
      account: '111122223333',
    });

    expect(policy.Statement[0]?.Principal).toEqual({ AWS: 'arn:aws-cn:iam::111122223333:root' });
    expect(policy.Statement[0]?.Condition?.ArnEquals).toEqual({
      'aws:PrincipalArn': [
        'arn:aws-cn:iam::111122223333:role/Exports-prod-export-cn-north-1',
        'arn:aws-cn:iam::111122223333:role/Exports-prod-check-cn-north-1',
      ],
    });
  });

  it('has no external-id condition for a destination that opted out with a reason', () => {
    const policy = buildTrustPolicy(
      {
        ...crossAccount,
        externalId: undefined,
        noExternalIdReason: 'the role is in our own organization',
      } as Destination,
      at,
    );

    expect(Object.keys(policy.Statement[0]?.Condition ?? {})).toEqual(['ArnEquals']);
  });

  it("keeps every role name within IAM's 64 characters, whatever the stack name and region", () => {
    const long = { stack: 'A'.repeat(128), region: 'ap-southeast-3', account: '123456789012' };
    for (const arn of assumingRoleArns(long)) {
      const name = arn.split('role/')[1] ?? '';
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name).toMatch(/^A+-(export|check)-ap-southeast-3$/);
    }
  });
});

describe('pipelineLocation()', () => {
  it('takes the region from --region, else AWS_REGION, and needs the pipeline account', () => {
    expect(pipelineLocation({ pipelineAccount: '123456789012' }, { AWS_REGION: 'eu-west-1' })).toEqual({
      stack: 'KinesisDestination',
      region: 'eu-west-1',
      account: '123456789012',
    });
    expect(() => pipelineLocation({ region: 'eu-west-1' }, {})).toThrow(
      new UsageError(
        '--trust-policy needs --pipeline-account: the 12-digit account the pipeline is deployed to',
      ),
    );
    expect(() => pipelineLocation({ pipelineAccount: '123456789012' }, {})).toThrow(/pass --region/);
  });
});

describe('docs/DEPLOY.md', () => {
  it('shows the trust policy the command prints, for its example', () => {
    const deploy = readFileSync(fileURLToPath(new URL('../../docs/DEPLOY.md', import.meta.url)), 'utf8');
    const printed = JSON.stringify(
      buildTrustPolicy(
        {
          ...destination,
          roleArn: 'arn:aws:iam::210987654321:role/kinesis-destination-writer',
          externalId: 'kd-external-id',
        },
        { stack: 'KinesisDestination', region: 'us-east-2', account: '123456789012' },
      ),
      null,
      2,
    );
    expect(deploy).toContain(printed);
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
