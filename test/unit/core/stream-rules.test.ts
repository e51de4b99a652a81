import { describe, expect, it } from 'vitest';
import {
  recordDistributionFinding,
  recordSizeFinding,
  streamKeyFinding,
  streamKeyReference,
} from '../../../core/stream-rules.js';
import { OTHER_KEY_ARN, STREAM_ARN, STREAM_KEY_ARN, STREAM_KEY_ID } from '../../helpers/kinesis-answers.js';

const d = { id: 'marketing', region: 'us-east-2', streamName: 'profile-exports' };
const where = { streamArn: STREAM_ARN, account: '123456789012' };
const kms = (keyId: string) => ({ encryptionType: 'KMS', keyId });

describe('streamKeyReference()', () => {
  it.each([
    [STREAM_KEY_ARN, { kind: 'key-arn', arn: STREAM_KEY_ARN }],
    [STREAM_KEY_ID, { kind: 'key-id', keyId: STREAM_KEY_ID }],
    ['alias/orders', { kind: 'alias', alias: 'alias/orders' }],
    [
      'arn:aws:kms:us-east-2:123456789012:alias/orders',
      { kind: 'alias', alias: 'arn:aws:kms:us-east-2:123456789012:alias/orders' },
    ],
    ['alias/aws/kinesis', { kind: 'aws-managed' }],
    ['arn:aws:kms:us-east-2:123456789012:alias/aws/kinesis', { kind: 'aws-managed' }],
  ])('reads %s', (keyId, expected) => {
    expect(streamKeyReference(keyId)).toEqual(expected);
  });
});

describe('streamKeyFinding()', () => {
  it.each([
    ['an unencrypted stream, no key configured', {}, undefined, 'passed'],
    ['an unencrypted stream, a key configured', {}, STREAM_KEY_ARN, 'warning'],
    ['the AWS managed key, no key configured', kms('alias/aws/kinesis'), undefined, 'passed'],
    ['the AWS managed key, a key configured', kms('alias/aws/kinesis'), STREAM_KEY_ARN, 'failed'],
    ['a customer key, none configured', kms(STREAM_KEY_ARN), undefined, 'failed'],
    ['a customer key, another configured', kms(STREAM_KEY_ARN), OTHER_KEY_ARN, 'failed'],
    ['a customer key, the same configured', kms(STREAM_KEY_ARN), STREAM_KEY_ARN, 'passed'],
    ['a key id, the same key configured', kms(STREAM_KEY_ID), STREAM_KEY_ARN, 'passed'],
    ['a key id, another key configured', kms(STREAM_KEY_ID), OTHER_KEY_ARN, 'failed'],
    ['an alias not resolved', kms('alias/orders'), STREAM_KEY_ARN, 'warning'],
  ] as const)('%s: %s', (_label, settings, kmsKeyArn, status) => {
    expect(streamKeyFinding(settings, { ...d, kmsKeyArn }, where).finding.status).toBe(status);
  });

  it('compares a key id of another account as another key', () => {
    const outcome = streamKeyFinding(
      kms(STREAM_KEY_ID),
      { ...d, kmsKeyArn: STREAM_KEY_ARN },
      {
        ...where,
        account: '210987654321',
      },
    );

    expect(outcome.finding.status).toBe('failed');
    expect(outcome.streamKeyArn).toBe(`arn:aws:kms:us-east-2:210987654321:key/${STREAM_KEY_ID}`);
  });

  it('compares a resolved alias as its key', () => {
    const outcome = streamKeyFinding(
      kms('alias/orders'),
      { ...d, kmsKeyArn: STREAM_KEY_ARN },
      where,
      STREAM_KEY_ARN,
    );

    expect(outcome).toEqual({
      finding: {
        check: 'stream-key',
        status: 'passed',
        detail: `stream "profile-exports" is encrypted with the configured key ${STREAM_KEY_ARN}`,
      },
      streamKeyArn: STREAM_KEY_ARN,
    });
  });

  it('says how to set the key when none is configured', () => {
    expect(streamKeyFinding(kms(STREAM_KEY_ARN), d, where).finding.fix).toBe(
      `set "kmsKeyArn": "${STREAM_KEY_ARN}" for destination "marketing" and redeploy, so that the exporter is granted kms:GenerateDataKey on it (the key policy must allow it too)`,
    );
  });
});

describe('recordDistributionFinding()', () => {
  it.each([
    [undefined, 'passed'],
    ['USER_PARTITION_KEY', 'passed'],
    ['AUTO', 'failed'],
    ['ROUND_ROBIN', 'warning'],
  ])('judges %s: %s', (strategy, status) => {
    expect(recordDistributionFinding({ recordDistributionStrategy: strategy }, d, where).status).toBe(status);
  });
});

describe('recordSizeFinding()', () => {
  it.each([
    [undefined, 'passed'],
    [1024, 'passed'],
    [10240, 'passed'],
    [512, 'failed'],
  ])('judges a MaxRecordSizeInKiB of %s: %s', (kib, status) => {
    expect(recordSizeFinding({ maxRecordSizeInKiB: kib }, d, where).status).toBe(status);
  });

  it('says how to raise a limit below the records the pipeline puts', () => {
    expect(recordSizeFinding({ maxRecordSizeInKiB: 512 }, d, where).fix).toBe(
      `raise the stream's limit: aws kinesis update-max-record-size --stream-arn ${STREAM_ARN} --max-record-size-in-ki-b 1024 --region us-east-2`,
    );
  });
});
