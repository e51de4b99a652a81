import { describe, expect, it } from 'vitest';
import { arnRuleIssues, parseArn, partitionOfRegion } from '../../../core/arn-rules.js';
import { parseConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
import { CATALOG, destination } from '../../helpers/factories.js';

const ROLE = 'arn:aws:iam::210987654321:role/exporter';
const CN_ROLE = 'arn:aws-cn:iam::210987654321:role/exporter';
const KEY = 'arn:aws:kms:us-east-2:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function configWith(overrides: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    destinations: [{ ...destination(), ...overrides }],
    segmentCatalog: CATALOG,
    ...extra,
  };
}

function issuesOf(input: unknown, context?: { partition?: string }): readonly string[] {
  try {
    parseConfig(input, undefined, context);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('partitionOfRegion()', () => {
  it.each([
    ['us-east-2', 'aws'],
    ['eu-central-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
  ])('puts %s in %s', (region, partition) => {
    expect(partitionOfRegion(region)).toBe(partition);
  });
});

describe('parseArn()', () => {
  it('splits an ARN whose resource holds colons', () => {
    expect(parseArn('arn:aws:secretsmanager:us-east-2:123456789012:secret:kd/keys-AbCdEf')).toEqual({
      partition: 'aws',
      service: 'secretsmanager',
      region: 'us-east-2',
      account: '123456789012',
      resource: 'secret:kd/keys-AbCdEf',
    });
    expect(parseArn('not-an-arn')).toBeUndefined();
  });
});

describe('parseConfig(): one partition across every ARN and region', () => {
  it('refuses an arn:aws-cn role with a us-east-2 stream, naming both', () => {
    expect(issuesOf(configWith({ roleArn: CN_ROLE, externalId: 'ext-123' }))).toEqual([
      `destinations[0].roleArn: "${CN_ROLE}" is in partition aws-cn, but destinations[0].region "us-east-2" is in partition aws: every ARN and destination region of a pipeline must be in the partition it is deployed in (a partition's credentials and endpoints do not reach another's); use resources of one partition`,
    ]);
  });

  it('refuses a cn-north-1 destination in a stack of the aws partition, naming both', () => {
    const issues = issuesOf(configWith({ region: 'cn-north-1' }), { partition: 'aws' });

    expect(issues).toEqual([
      'destinations[0].region: "cn-north-1" is in partition aws-cn, but the deploying stack is in partition aws: every ARN and destination region of a pipeline must be in the partition it is deployed in (a partition\'s credentials and endpoints do not reach another\'s); use resources of aws, or deploy the pipeline in aws-cn',
    ]);
  });

  it('accepts a cn-north-1 destination on its own, when the stack’s partition is not known', () => {
    expect(issuesOf(configWith({ region: 'cn-north-1' }))).toEqual([]);
  });

  it('refuses destinations of two partitions in one config', () => {
    const input = {
      destinations: [destination(), { ...destination({ id: 'china' }), region: 'cn-north-1' }],
      segmentCatalog: CATALOG,
    };

    expect(issuesOf(input)).toEqual([
      expect.stringMatching(
        /^destinations\[1\]\.region: "cn-north-1" is in partition aws-cn, but destinations\[0\]\.region "us-east-2" is in partition aws/,
      ),
    ]);
  });

  it('checks the secret, the key and the profile table’s ARNs too', () => {
    const issues = issuesOf(
      configWith(
        {
          credentialsSecretArn: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:keys',
          kmsKeyArn: KEY,
        },
        {
          profileTable: {
            tableName: 'profiles',
            streamArn: 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/profiles/stream/2024',
          },
        },
      ),
    );

    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'destinations[0].credentialsSecretArn',
      'profileTable.streamArn',
    ]);
  });

  it('accepts a config whose ARNs all share the stack’s partition', () => {
    expect(
      issuesOf(configWith({ roleArn: ROLE, externalId: 'ext-123', kmsKeyArn: KEY }), { partition: 'aws' }),
    ).toEqual([]);
  });
});

describe('parseConfig(): keys in their stream’s region', () => {
  it('refuses a destination key of another region than its stream', () => {
    const key = 'arn:aws:kms:us-west-2:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab';

    expect(issuesOf(configWith({ kmsKeyArn: key }))).toEqual([
      'destinations[0].kmsKeyArn: is a key in us-west-2, but the stream of destination "marketing" is in us-east-2: Kinesis encrypts a stream only with a KMS key of its own region; use the stream\'s key in us-east-2 (a multi-Region key\'s replica there has its own ARN)',
    ]);
  });

  it('refuses a profile table key of another region than the table’s stream', () => {
    const issues = issuesOf(
      configWith(
        {},
        {
          profileTable: {
            tableName: 'profiles',
            streamArn: 'arn:aws:dynamodb:us-east-2:123456789012:table/profiles/stream/2024',
            kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abcd',
          },
        },
      ),
    );

    expect(issues).toEqual([
      expect.stringMatching(
        /^profileTable\.kmsKeyArn: is a key in eu-west-1, but the profile table's stream/,
      ),
    ]);
  });
});

describe('arnRuleIssues()', () => {
  it('is exported for the construct, with the paths of the fields at fault', () => {
    const issues = arnRuleIssues(
      { destinations: [{ id: 'm', region: 'us-east-2', roleArn: CN_ROLE }] },
      { partition: 'aws' },
    );

    expect(issues.map((i) => i.path)).toEqual([['destinations', 0, 'roleArn']]);
  });
});
