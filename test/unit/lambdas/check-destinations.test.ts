import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkStreamConnection, formatConnectionReport } from '../../../adapters/connection-check.js';
import { checkDestinations } from '../../../lambdas/connection-check/check-destinations.js';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'us-east-2' });

const accessDenied = Object.assign(new Error('User is not authorized to perform: kinesis:ListStreams'), {
  name: 'AccessDeniedException',
});

beforeEach(() => kinesis.reset());

describe('checkStreamConnection()', () => {
  it('passes an ACTIVE stream found by ListStreams', async () => {
    kinesis.on(ListStreamsCommand).resolves({
      StreamNames: ['profile-exports'],
      HasMoreStreams: false,
      StreamSummaries: [{ StreamName: 'profile-exports', StreamARN: 'arn:x', StreamStatus: 'ACTIVE' }],
    });

    const report = await checkStreamConnection({ client, streamName: 'profile-exports' });

    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['list-streams', 'passed'],
      ['stream-exists', 'passed'],
      ['stream-active', 'passed'],
    ]);
    expect(kinesis.commandCalls(DescribeStreamSummaryCommand)).toHaveLength(0);
  });

  it('fails with the permission to add when ListStreams is denied', async () => {
    kinesis.on(ListStreamsCommand).rejects(accessDenied);

    const report = await checkStreamConnection({ client, streamName: 'profile-exports' });

    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({ check: 'list-streams', status: 'failed' });
    expect(formatConnectionReport(report)).toContain('AccessDeniedException');
    expect(formatConnectionReport(report)).toContain('allow kinesis:ListStreams');
  });

  it('pages through ListStreams and fails a stream that is not there', async () => {
    kinesis
      .on(ListStreamsCommand, { Limit: 100 })
      .resolves({ StreamNames: ['a'], HasMoreStreams: true, NextToken: 'page-2' })
      .on(ListStreamsCommand, { NextToken: 'page-2' })
      .resolves({ StreamNames: ['b'], HasMoreStreams: false });

    const report = await checkStreamConnection({ client, streamName: 'profile-exports' });

    expect(kinesis.commandCalls(ListStreamsCommand)).toHaveLength(2);
    expect(report.ok).toBe(false);
    expect(report.checks[1]).toMatchObject({ check: 'stream-exists', status: 'failed' });
    expect(report.checks[1]?.message).toContain('"profile-exports" is not among the streams');
  });

  it('fails a stream that is still being created', async () => {
    kinesis.on(ListStreamsCommand).resolves({
      StreamNames: ['profile-exports'],
      HasMoreStreams: false,
      StreamSummaries: [{ StreamName: 'profile-exports', StreamARN: 'arn:x', StreamStatus: 'CREATING' }],
    });

    const report = await checkStreamConnection({ client, streamName: 'profile-exports' });

    expect(report.ok).toBe(false);
    expect(report.checks[2]).toMatchObject({ check: 'stream-active', status: 'failed' });
    expect(report.checks[2]?.message).toContain('is CREATING, not ACTIVE');
  });

  it('falls back to DescribeStreamSummary without summaries, and skips the status when it is denied', async () => {
    kinesis.on(ListStreamsCommand).resolves({ StreamNames: ['profile-exports'], HasMoreStreams: false });
    kinesis.on(DescribeStreamSummaryCommand).rejects(accessDenied);

    const report = await checkStreamConnection({ client, streamName: 'profile-exports' });

    expect(report.ok).toBe(true);
    expect(report.checks[2]).toMatchObject({ check: 'stream-active', status: 'skipped' });
  });
});

describe('checkDestinations()', () => {
  const sts = mockClient(STSClient);
  beforeEach(() => sts.reset());

  it("checks a cross-account stream with the assumed role's credentials", async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLEEXAMPLE',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(),
      },
    });
    kinesis.on(ListStreamsCommand).resolves({
      StreamNames: ['profile-exports'],
      HasMoreStreams: false,
      StreamSummaries: [{ StreamName: 'profile-exports', StreamARN: 'arn:x', StreamStatus: 'ACTIVE' }],
    });
    const regions: string[] = [];
    const credentials: unknown[] = [];

    const [result] = await checkDestinations(
      [
        {
          destinationId: 'marketing',
          region: 'eu-west-1',
          streamName: 'profile-exports',
          roleArn: 'arn:aws:iam::210987654321:role/writer',
          externalId: 'kd-external-id',
        },
      ],
      '123456789012',
      {
        sts: new STSClient({}),
        secrets: new SecretsManagerClient({}),
        kinesisFor: (region, c) => {
          regions.push(region);
          credentials.push(c);
          return client;
        },
      },
    );

    expect(result?.report.ok).toBe(true);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: 'arn:aws:iam::210987654321:role/writer',
      ExternalId: 'kd-external-id',
    });
    expect(regions).toEqual(['eu-west-1']);
    expect(credentials).toEqual([
      { accessKeyId: 'ASIAEXAMPLEEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    ]);
  });

  it('reports a failed AssumeRole as a failed check', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('not authorized to assume'), { name: 'AccessDenied' }));

    const [result] = await checkDestinations(
      [
        {
          destinationId: 'x',
          region: 'us-east-2',
          streamName: 's',
          roleArn: 'arn:aws:iam::210987654321:role/w',
        },
      ],
      '123456789012',
      { sts: new STSClient({}), secrets: new SecretsManagerClient({}), kinesisFor: () => client },
    );

    expect(result?.report.ok).toBe(false);
    expect(result?.report.checks[0]?.message).toContain('AccessDenied: not authorized to assume');
  });
});
