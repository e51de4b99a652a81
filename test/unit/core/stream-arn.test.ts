import { describe, expect, it } from 'vitest';
import { streamAccountOf, streamArn } from '../../../core/stream-arn.js';

describe('streamArn()', () => {
  it.each([
    ['us-east-2', 'arn:aws:kinesis:us-east-2:123456789012:stream/s'],
    ['cn-north-1', 'arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s'],
    ['us-gov-west-1', 'arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/s'],
  ])('names the stream in its partition (%s)', (region, arn) => {
    expect(streamArn({ region, streamName: 's' }, '123456789012')).toBe(arn);
  });
});

describe('streamAccountOf()', () => {
  it('is the configured account, else the cross-account role’s, else unknown', () => {
    expect(streamAccountOf({ accountId: '111111111111', roleArn: 'arn:aws:iam::222222222222:role/w' })).toBe(
      '111111111111',
    );
    expect(streamAccountOf({ roleArn: 'arn:aws:iam::222222222222:role/w' })).toBe('222222222222');
    expect(streamAccountOf({})).toBeUndefined();
  });
});
