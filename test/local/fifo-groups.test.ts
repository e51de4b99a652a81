import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FifoGroups } from '../../local/event-sources/fifo-groups.js';
import type { LocalMessage } from '../../local/event-sources/sqs-messages.js';

function message(
  id: string,
  groupId: string,
  sequence: string,
  receiveCount = 1,
  visibleAt = 1_000,
): LocalMessage {
  return {
    messageId: id,
    groupId,
    sequence,
    receiptHandle: `handle-${id}`,
    receiveCount,
    visibleAt,
    record: { messageId: id } as SQSRecord,
  };
}

const ids = (batch: readonly LocalMessage[] | undefined) => batch?.map((m) => m.messageId);

describe('FifoGroups', () => {
  it('hands out a group in sequence order, one batch per group at a time', () => {
    const groups = new FifoGroups();
    groups.admit([message('a2', 'A', '2'), message('a1', 'A', '1'), message('b1', 'B', '3')]);

    expect(ids(groups.takeBatch(1))).toEqual(['a1']);
    expect(ids(groups.takeBatch(10))).toEqual(['b1']);
    expect(groups.takeBatch(10)).toBeUndefined();
    groups.release(['A']);
    expect(ids(groups.takeBatch(10))).toEqual(['a2']);
  });

  it('holds the later messages of a group behind a failed one until it is received again', () => {
    const groups = new FifoGroups();
    const first = message('a1', 'A', '1');
    groups.admit([first, message('a2', 'A', '2')]);
    const batch = groups.takeBatch(1) ?? [];
    groups.settle(batch, new Set(['a1']), 3);
    groups.release(['A']);

    expect(groups.runnableCount()).toBe(0);
    groups.admit([message('a1', 'A', '1', 2)]);
    expect(ids(groups.takeBatch(10))).toEqual(['a1', 'a2']);
  });

  it('stops waiting for a failed message that used its last receive once the queue has moved it', () => {
    const groups = new FifoGroups();
    groups.admit([message('a1', 'A', '1', 3, 1_000), message('a2', 'A', '2')]);
    groups.settle(groups.takeBatch(1) ?? [], new Set(['a1']), 3);
    groups.release(['A']);

    groups.releaseBlocks(1_100, 0);
    expect(groups.runnableCount()).toBe(0);
    groups.releaseBlocks(1_300, 0);
    expect(ids(groups.takeBatch(10))).toEqual(['a2']);
  });

  it('waits for a failed message until the queue answered plus the timeout, not the request plus the timeout', () => {
    const groups = new FifoGroups();
    // The receive was sent at 0 (visible at 1_000 by the request's clock); the busy emulator answered at 2_000.
    groups.admit([message('a1', 'A', '1'), message('a2', 'A', '2')], 3_000);
    groups.settle(groups.takeBatch(1) ?? [], new Set(['a1']), 10);
    groups.release(['A']);

    // An empty receive at 2_000 proves nothing: a1 may still be invisible in the queue until 3_000.
    groups.releaseBlocks(2_000, 2_000);
    expect(groups.runnableCount()).toBe(0);
    groups.releaseBlocks(3_500, 3_500);
    expect(ids(groups.takeBatch(10))).toEqual(['a2']);
  });

  it('waits for a failed held message until its extension was answered plus the extension', () => {
    const groups = new FifoGroups();
    const first = message('a1', 'A', '1');
    groups.admit([first, message('a2', 'A', '2')]);
    // While held, a1's visibility was extended: the extension was answered at 4_000, for 5 s.
    groups.extended(first, 9_000);
    groups.settle(groups.takeBatch(1) ?? [], new Set(['a1']), 10);
    groups.release(['A']);

    groups.releaseBlocks(5_000, 5_000);
    expect(groups.runnableCount()).toBe(0);
    groups.releaseBlocks(9_500, 9_500);
    expect(ids(groups.takeBatch(10))).toEqual(['a2']);
  });

  it('takes a new receipt handle for a message seen again while held', () => {
    const groups = new FifoGroups();
    groups.admit([message('a1', 'A', '1')]);
    groups.admit([{ ...message('a1', 'A', '1', 2), receiptHandle: 'new-handle' }]);

    const batch = groups.takeBatch(10);
    expect(batch?.map((m) => [m.receiptHandle, m.receiveCount])).toEqual([['new-handle', 2]]);
  });

  it('gives a held message the receive count SQS would: not the receives the emulator counted while it was held', () => {
    const groups = new FifoGroups();
    const first = message('a1', 'A', '1');
    const later = message('a2', 'A', '2');
    groups.admit([first, later]);
    const batch = groups.takeBatch(1) ?? [];
    groups.settle(batch, new Set(['a1']), 6);
    groups.release(['A']);
    // While a1 waits to come back, a2 is extended once and lapses once (the emulator counts both).
    groups.extended(later);
    groups.admit([message('a2', 'A', '2', 3)]);
    groups.admit([message('a1', 'A', '1', 2)]);

    const next = groups.takeBatch(10) ?? [];
    expect(next.map((m) => [m.messageId, groups.receiveCountOf(m)])).toEqual([
      ['a1', 2],
      ['a2', 1],
    ]);
  });
});
