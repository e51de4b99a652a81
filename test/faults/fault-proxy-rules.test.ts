import { describe, expect, it } from 'vitest';
import {
  acceptedEntries,
  chooseAction,
  chooseFailedEntries,
  mergeEntryResults,
  operationOf,
} from '../../local/fault-proxy-rules.js';

const PUTS = new Set(['PutRecords', 'PutRecord']);

/** A generator that replays `values` and counts how often it was drawn from. */
function replay(...values: number[]) {
  let draws = 0;
  const random = () => values[draws++] ?? 0;
  return { random, draws: () => draws };
}

describe('operationOf()', () => {
  it('reads the operation from the X-Amz-Target header', () => {
    expect(operationOf('Kinesis_20131202.PutRecords')).toBe('PutRecords');
    expect(operationOf(undefined)).toBe('');
  });
});

describe('chooseAction()', () => {
  it('forwards operations the fault was not set for, without drawing', () => {
    const r = replay(0);

    expect(chooseAction({ kind: 'drop' }, 'DescribeStream', PUTS, r.random)).toEqual({ kind: 'forward' });
    expect(r.draws()).toBe(0);
  });

  it('applies a fault with share 1 to every request without drawing', () => {
    const r = replay(0.99);

    expect(chooseAction({ kind: 'http-error', status: 503 }, 'PutRecords', PUTS, r.random)).toEqual({
      kind: 'http-error',
      status: 503,
    });
    expect(r.draws()).toBe(0);
  });

  it('picks a share of requests with the generator', () => {
    expect(chooseAction({ kind: 'hang', share: 0.5 }, 'PutRecord', PUTS, replay(0.4).random)).toEqual({
      kind: 'hang',
    });
    expect(chooseAction({ kind: 'hang', share: 0.5 }, 'PutRecord', PUTS, replay(0.6).random)).toEqual({
      kind: 'forward',
    });
  });

  it('fails entries of PutRecords and whole PutRecord calls', () => {
    const fault = { kind: 'fail-entries', share: 0.5, errorCode: 'InternalFailure' } as const;

    expect(chooseAction(fault, 'PutRecords', PUTS, replay().random)).toEqual({
      kind: 'fail-entries',
      share: 0.5,
      errorCode: 'InternalFailure',
    });
    expect(chooseAction(fault, 'PutRecord', PUTS, replay(0.1).random)).toEqual({
      kind: 'fail-record',
      errorCode: 'InternalFailure',
    });
  });
});

describe('chooseFailedEntries() and mergeEntryResults()', () => {
  it('puts the emulator answers back between the injected failures, in the original order', () => {
    const failed = chooseFailedEntries(
      4,
      0.5,
      'ProvisionedThroughputExceededException',
      replay(0.9, 0.1, 0.9, 0.1).random,
    );

    const merged = mergeEntryResults(failed, [
      { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
      { SequenceNumber: '2', ShardId: 'shardId-000000000000' },
    ]);

    expect(merged.Records.map((r) => r.SequenceNumber ?? r.ErrorCode)).toEqual([
      '1',
      'ProvisionedThroughputExceededException',
      '2',
      'ProvisionedThroughputExceededException',
    ]);
    expect(merged).toMatchObject({ FailedRecordCount: 2, accepted: 2, injected: 2 });
  });

  it('counts a forwarded entry the emulator did not answer as failed', () => {
    const merged = mergeEntryResults([null, null], [{ SequenceNumber: '1' }]);

    expect(merged.Records[1]?.ErrorCode).toBe('InternalFailure');
    expect(merged).toMatchObject({ FailedRecordCount: 1, accepted: 1, injected: 0 });
  });
});

describe('acceptedEntries()', () => {
  it('counts the entries of a successful answer minus its failures', () => {
    const body = Buffer.from(JSON.stringify({ FailedRecordCount: 1, Records: [] }));

    expect(acceptedEntries('PutRecords', 200, body, 5)).toBe(4);
    expect(acceptedEntries('PutRecords', 400, body, 5)).toBe(0);
    expect(acceptedEntries('PutRecord', 200, Buffer.from('{}'), 1)).toBe(1);
  });
});
