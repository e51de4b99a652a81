import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DestinationClients } from '../../../adapters/aws-clients.js';
import { parseConfig } from '../../../core/config.js';
import {
  connectionCheckSessionPolicy,
  exporterSessionPolicy,
  kmsViaService,
  sessionPolicyTargetOf,
  sessionPolicyText,
} from '../../../core/session-policies.js';
import { CATALOG, destination } from '../../helpers/factories.js';

const ROLE = 'arn:aws:iam::210987654321:role/exporter';
const STREAM = 'arn:aws:kinesis:us-east-2:210987654321:stream/profile-exports';
const KEY = 'arn:aws:kms:us-east-2:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('kmsViaService()', () => {
  it.each([
    ['us-east-2', 'kinesis.us-east-2.amazonaws.com'],
    ['cn-north-1', 'kinesis.cn-north-1.amazonaws.com.cn'],
    ['us-gov-west-1', 'kinesis.us-gov-west-1.amazonaws.com'],
  ])('names Kinesis in %s as %s', (region, value) => {
    expect(kmsViaService('kinesis', region)).toBe(value);
  });
});

describe('sessionPolicyTargetOf()', () => {
  it('is the stream in the role’s account, for a destination written through a role', () => {
    expect(
      sessionPolicyTargetOf({
        region: 'us-east-2',
        streamName: 'profile-exports',
        roleArn: ROLE,
        kmsKeyArn: KEY,
      }),
    ).toEqual({ streamArn: STREAM, region: 'us-east-2', kmsKeyArn: KEY });
  });

  it('is undefined for a destination written without a role', () => {
    expect(sessionPolicyTargetOf({ region: 'us-east-2', streamName: 'profile-exports' })).toBeUndefined();
  });
});

describe('exporterSessionPolicy()', () => {
  it('allows PutRecord and PutRecords on the stream, and GenerateDataKey on its key through Kinesis only', () => {
    expect(exporterSessionPolicy({ streamArn: STREAM, region: 'us-east-2', kmsKeyArn: KEY })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PutToTheDestinationStream',
          Effect: 'Allow',
          Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
          Resource: STREAM,
        },
        {
          Sid: 'EncryptThroughKinesis',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey'],
          Resource: KEY,
          Condition: { StringEquals: { 'kms:ViaService': 'kinesis.us-east-2.amazonaws.com' } },
        },
      ],
    });
  });

  it('allows the keys of the stream’s account and region, through Kinesis, when no key is configured', () => {
    const policy = exporterSessionPolicy({
      streamArn: 'arn:aws-cn:kinesis:cn-north-1:210987654321:stream/s',
      region: 'cn-north-1',
    });

    expect(policy.Statement[1]).toMatchObject({
      Resource: 'arn:aws-cn:kms:cn-north-1:210987654321:key/*',
      Condition: {
        StringEquals: {
          'kms:ViaService': ['kinesis.cn-north-1.amazonaws.com.cn', 'kinesis.cn-north-1.amazonaws.com'],
        },
      },
    });
  });

  it('holds no read, list or other write action', () => {
    const actions = exporterSessionPolicy({ streamArn: STREAM, region: 'us-east-2' }).Statement.flatMap(
      (s) => s.Action,
    );
    expect(actions.sort()).toEqual(['kinesis:PutRecord', 'kinesis:PutRecords', 'kms:GenerateDataKey']);
  });
});

describe('connectionCheckSessionPolicy()', () => {
  it('allows reading only: ListStreams, DescribeStreamSummary on the stream, DescribeKey in its account', () => {
    expect(connectionCheckSessionPolicy({ streamArn: STREAM, region: 'us-east-2', kmsKeyArn: KEY })).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ListStreams', Effect: 'Allow', Action: ['kinesis:ListStreams'], Resource: '*' },
        {
          Sid: 'DescribeTheDestinationStream',
          Effect: 'Allow',
          Action: ['kinesis:DescribeStreamSummary'],
          Resource: STREAM,
        },
        {
          Sid: 'DescribeTheStreamKey',
          Effect: 'Allow',
          Action: ['kms:DescribeKey'],
          Resource: 'arn:aws:kms:us-east-2:210987654321:key/*',
        },
      ],
    });
  });
});

describe('sessionPolicyText()', () => {
  it('stays within AssumeRole’s 2,048 characters for the longest stream name and key', () => {
    const target = {
      streamArn: `arn:aws-us-gov:kinesis:us-gov-west-1:210987654321:stream/${'s'.repeat(128)}`,
      region: 'us-gov-west-1',
      kmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:210987654321:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    };
    for (const policy of [exporterSessionPolicy(target), connectionCheckSessionPolicy(target)])
      expect(sessionPolicyText(policy).length).toBeLessThan(2048);
  });
});

describe('DestinationClients: the exporter’s session', () => {
  it('assumes a destination’s role with the exporter’s session policy', async () => {
    const sts = mockClient(STSClient);
    const kinesis = mockClient(KinesisClient);
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAIOSFODNN7EXAMPLE',
        SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    kinesis.on(PutRecordsCommand).resolves({ Records: [] });
    const config = parseConfig({
      destinations: [{ ...destination(), roleArn: ROLE, externalId: 'ext-123', kmsKeyArn: KEY }],
      segmentCatalog: CATALOG,
    });
    const marketing = config.destinations[0];
    if (marketing === undefined) throw new Error('no destination');

    const { client } = new DestinationClients({ sts: new STSClient({}) }).forDestination(marketing);
    await client.config.credentials();

    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input?.ExternalId).toBe('ext-123');
    expect(JSON.parse(input?.Policy ?? '{}')).toEqual(
      exporterSessionPolicy({ streamArn: STREAM, region: 'us-east-2', kmsKeyArn: KEY }),
    );
    sts.restore();
    kinesis.restore();
  });
});
