import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { PIPELINE_SETTINGS, UNTIL_RECORD_EXPIRES } from '../../core/pipeline-settings.js';
import {
  batchReady,
  expiredCount,
  judgeInvocation,
  nextBatchSize,
  retriesExhausted,
  settleError,
  settlePartial,
  settleSuccess,
} from '../../local/event-sources/stream-batches.js';
import { newShardState, shardsToStart } from '../../local/event-sources/stream-shards.js';

function record(sequence: string, createdSeconds = Date.now() / 1000): DynamoDBRecord {
  return { dynamodb: { SequenceNumber: sequence, ApproximateCreationDateTime: createdSeconds } };
}

function shardWith(sequences: string[]) {
  const shard = newShardState('shard-1', undefined);
  shard.pending = sequences.map((s) => record(s));
  shard.firstPendingAt = Date.now();
  return shard;
}

const ok = (response: unknown) => ({ ok: true, response, durationMs: 1 }) as const;

describe('batchReady()', () => {
  it('waits for a full batch or the batching window, but not on a retry', () => {
    const shard = shardWith(['1', '2']);
    const settings = { batchSize: 10, windowMs: 1_000 };

    expect(batchReady(shard, settings, Date.now())).toBe(false);
    expect(batchReady(shard, settings, Date.now() + 1_000)).toBe(true);
    shard.attempts = 1;
    expect(batchReady(shard, settings, Date.now())).toBe(true);
  });
});

describe('expiredCount()', () => {
  it('counts the leading records older than the maximum age', () => {
    const now = Date.now();
    const pending = [record('1', now / 1000 - 100), record('2', now / 1000 - 100), record('3', now / 1000)];

    expect(expiredCount(pending, 50_000, now)).toBe(2);
  });

  it('counts none with no age limit (-1, the pipeline setting: retried until the record expires)', () => {
    const now = Date.now();
    const pending = [record('1', now / 1000 - 7 * 86_400), record('2', now / 1000)];

    expect(expiredCount(pending, UNTIL_RECORD_EXPIRES, now)).toBe(0);
  });
});

describe('judgeInvocation()', () => {
  const batch = [record('10'), record('11'), record('12')];

  it('reads the lowest reported failure as the checkpoint', () => {
    const response = { batchItemFailures: [{ itemIdentifier: '12' }, { itemIdentifier: '11' }] };

    expect(judgeInvocation(ok(response), batch, true)).toEqual({ kind: 'partial', failedIndex: 1 });
  });

  it('fails the whole batch on an identifier that is not in it', () => {
    const response = { batchItemFailures: [{ itemIdentifier: '99' }] };

    expect(judgeInvocation(ok(response), batch, true)).toEqual({
      kind: 'error',
      error: 'the response is not a valid batchItemFailures report',
    });
  });

  it('ignores reported failures when the mapping does not report batch item failures', () => {
    expect(judgeInvocation(ok({ batchItemFailures: [{ itemIdentifier: '11' }] }), batch, false)).toEqual({
      kind: 'success',
    });
  });

  it('turns a thrown error into a failed batch', () => {
    const outcome = { ok: false, kind: 'Unhandled', error: new TypeError('boom'), durationMs: 1 } as const;

    expect(judgeInvocation(outcome, batch, true)).toEqual({ kind: 'error', error: 'TypeError: boom' });
  });
});

describe('settling a batch', () => {
  it('checkpoints before the first failed record and keeps the attempt for the retry', () => {
    const shard = shardWith(['1', '2', '3', '4']);
    shard.attempts = 1;

    const remaining = settlePartial(shard, 4, 2);

    expect(remaining).toBe(2);
    expect(shard.checkpoint).toBe('2');
    expect(shard.attempts).toBe(1);
    expect(nextBatchSize(shard, 10)).toBe(2);
  });

  it('bisects a failed batch without using up a retry, then tries the sibling half alone', () => {
    const shard = shardWith(['1', '2', '3', '4', '5']);
    shard.attempts = 1;

    expect(settleError(shard, 5, 'boom', true)).toBe('bisected');
    expect(shard.segments).toEqual([3, 2]);
    expect(shard.attempts).toBe(0);
    settleSuccess(shard, 3);
    expect(nextBatchSize(shard, 10)).toBe(2);
    expect(shard.checkpoint).toBe('3');
  });

  it('retries a single record until the retries are used up', () => {
    const shard = shardWith(['1']);
    shard.attempts = 3;

    expect(settleError(shard, 1, 'boom', true)).toBe('retry');
    expect(retriesExhausted(shard, 2)).toBe(true);
    expect(retriesExhausted(shard, 3)).toBe(false);
  });

  it('never uses up the retries of the pipeline setting (-1: until the record expires)', () => {
    const shard = shardWith(['1']);
    shard.attempts = 10_001;

    expect(PIPELINE_SETTINGS.decide.retryAttempts).toBe(UNTIL_RECORD_EXPIRES);
    expect(retriesExhausted(shard, PIPELINE_SETTINGS.decide.retryAttempts)).toBe(false);
  });
});

describe('shardsToStart()', () => {
  it('starts a child shard only after its parent is done', () => {
    const parent = newShardState('parent', undefined);
    const child = newShardState('child', 'parent');
    const known = new Map([
      ['parent', parent],
      ['child', child],
    ]);

    expect(shardsToStart(known).map((s) => s.shardId)).toEqual(['parent']);
    parent.done = true;
    expect(shardsToStart(known).map((s) => s.shardId)).toEqual(['child']);
  });
});
