/**
 * FIFO message-group holding, which the SQS emulator does not enforce itself: at most one batch per
 * group in flight; a message of a busy group that the emulator hands out early is held, in
 * `SequenceNumber` order, until its turn; after a failure, no later message of the group runs until
 * each failed message is received again (or has left the queue). Bookkeeping only, no I/O: the
 * poller tells it what was received and how batches ended.
 */

import { compareSequence } from './sequence.js';
import type { LocalMessage } from './sqs-messages.js';

/** A failed message its group waits for. */
interface Awaited {
  readonly sequence: string;
  /** When the queue makes it visible again at the latest (see {@link FifoGroups.visibleBy}). */
  readonly visibleAt: number;
  /** The message had used its last receive: the queue moves it to the DLQ instead of returning it. */
  readonly dead: boolean;
}

/** Clock granularity between the queue's deadline and ours (both taken after the queue answered). */
const RELEASE_MARGIN_MS = 250;

/** The held, running and awaited messages of one SQS mapping, by group. */
export class FifoGroups {
  /** Every message held or running, by id. */
  private readonly known = new Map<string, LocalMessage>();
  /** Received messages waiting for their turn, by group, in sequence order. */
  private readonly held = new Map<string, LocalMessage[]>();
  private readonly busy = new Set<string>();
  /** Per group, the failed messages (by id) not yet received again: later messages wait for them. */
  private readonly awaiting = new Map<string, Map<string, Awaited>>();
  /**
   * Receives the emulator counted for a message while it was held here, by id: its visibility was
   * extended, or it lapsed and was received again. SQS would not have handed it out at all while an
   * earlier message of its group was in flight, so these are not receives the function sees.
   */
  private readonly phantoms = new Map<string, number>();
  /**
   * Per message id, when the queue makes it visible again at the latest: the time the answer of the
   * receive or extension that set its visibility arrived, plus the timeout. A message's `visibleAt` is
   * the earliest (taken before the request was sent), right for extending it in time; a failed message's
   * group may only stop waiting for it after the latest, or, when the emulator's event loop is slow to
   * take a request (the whole machine busy), a later message of the group overtakes it.
   */
  private readonly visibleBy = new Map<string, number>();

  /** True when nothing is held, running or awaited. */
  isEmpty(): boolean {
    return this.known.size === 0 && this.awaiting.size === 0;
  }

  private isHeld(message: LocalMessage): boolean {
    return this.held.get(message.groupId)?.includes(message) === true;
  }

  private addPhantoms(messageId: string, count: number): void {
    if (count > 0) this.phantoms.set(messageId, (this.phantoms.get(messageId) ?? 0) + count);
  }

  /**
   * A held message's visibility was extended: the emulator counted a receive SQS would not.
   * `visibleBy`: the extension's answer time plus the extension (default: the message's `visibleAt`).
   */
  extended(message: LocalMessage, visibleBy = message.visibleAt): void {
    this.addPhantoms(message.messageId, 1);
    this.visibleBy.set(message.messageId, Math.max(visibleBy, message.visibleAt));
  }

  /**
   * The receive count SQS would give the message: the emulator's, less the receives it counted
   * while the message was held here (at least 1).
   */
  receiveCountOf(message: LocalMessage): number {
    return Math.max(1, message.receiveCount - (this.phantoms.get(message.messageId) ?? 0));
  }

  /** Held messages and groups blocked behind a failure. */
  counts(): { held: number; blockedGroups: number } {
    let held = 0;
    for (const list of this.held.values()) held += list.length;
    return { held, blockedGroups: this.awaiting.size };
  }

  /**
   * Takes received messages. A message seen again while held or running (its visibility lapsed)
   * only gets its new receipt handle; a new one is held in its group, and a failed message that
   * came back stops blocking its group. `visibleBy`: the receive's answer time plus the visibility
   * timeout (default: each message's `visibleAt`).
   */
  admit(received: readonly LocalMessage[], visibleBy?: number): void {
    const sorted = [...received].sort((a, b) => compareSequence(a.sequence, b.sequence));
    for (const message of sorted) {
      this.visibleBy.set(message.messageId, Math.max(visibleBy ?? message.visibleAt, message.visibleAt));
      const existing = this.known.get(message.messageId);
      if (existing !== undefined) {
        if (this.isHeld(existing))
          this.addPhantoms(existing.messageId, message.receiveCount - existing.receiveCount);
        // The new handle is the valid one.
        existing.receiptHandle = message.receiptHandle;
        existing.receiveCount = message.receiveCount;
        existing.visibleAt = message.visibleAt;
        existing.record = message.record;
        continue;
      }
      this.known.set(message.messageId, message);
      const waiting = this.awaiting.get(message.groupId);
      if (waiting?.delete(message.messageId) && waiting.size === 0) this.awaiting.delete(message.groupId);
      const list = this.held.get(message.groupId) ?? [];
      list.push(message);
      list.sort((a, b) => compareSequence(a.sequence, b.sequence));
      this.held.set(message.groupId, list);
    }
  }

  /**
   * Stops waiting for failed messages that will not come back: one that had used its last receive
   * (the queue moves it to the DLQ on the next receive), or any after a receive, started once its
   * visibility ended, found the queue empty (deleted or moved elsewhere). Waiting on anything weaker
   * (a clock) could let a later message of the group overtake one that is merely slow to return.
   */
  releaseBlocks(lastReceiveStartedAt: number, lastEmptyReceiveStartedAt: number): void {
    for (const [group, waiting] of this.awaiting) {
      for (const [messageId, entry] of waiting) {
        const movedByNow = entry.dead && lastReceiveStartedAt > entry.visibleAt + RELEASE_MARGIN_MS;
        const notInQueue = lastEmptyReceiveStartedAt > entry.visibleAt + RELEASE_MARGIN_MS;
        if (movedByNow || notInQueue) waiting.delete(messageId);
      }
      if (waiting.size === 0) this.awaiting.delete(group);
    }
  }

  /** The held messages of a group that may run now: those before its earliest awaited failure. */
  private runnable(group: string, list: readonly LocalMessage[]): LocalMessage[] {
    const waiting = this.awaiting.get(group);
    if (waiting === undefined) return [...list];
    let limit: string | undefined;
    for (const entry of waiting.values()) {
      if (limit === undefined || compareSequence(entry.sequence, limit) < 0) limit = entry.sequence;
    }
    const bound = limit as string;
    const runnable: LocalMessage[] = [];
    for (const message of list) {
      if (compareSequence(message.sequence, bound) >= 0) break;
      runnable.push(message);
    }
    return runnable;
  }

  /** Held messages that could run now (their group is neither busy nor blocked before them). */
  runnableCount(): number {
    let count = 0;
    for (const [group, list] of this.held) {
      if (!this.busy.has(group)) count += this.runnable(group, list).length;
    }
    return count;
  }

  /**
   * The next batch: up to `batchSize` runnable messages, from the groups whose first runnable
   * message is oldest; their groups become busy. `undefined` when nothing can run.
   */
  takeBatch(batchSize: number): LocalMessage[] | undefined {
    const candidates = [...this.held.entries()]
      .filter(([group]) => !this.busy.has(group))
      .map(([group, list]) => ({ group, list, runnable: this.runnable(group, list) }))
      .filter((c) => c.runnable.length > 0)
      .sort((a, b) =>
        compareSequence((a.runnable[0] as LocalMessage).sequence, (b.runnable[0] as LocalMessage).sequence),
      );
    if (candidates.length === 0) return undefined;
    const batch: LocalMessage[] = [];
    for (const { group, list, runnable } of candidates) {
      if (batch.length >= batchSize) break;
      const take = runnable.slice(0, batchSize - batch.length);
      list.splice(0, take.length);
      batch.push(...take);
      if (list.length === 0) this.held.delete(group);
      this.busy.add(group);
    }
    return batch;
  }

  /**
   * A batch ended: its messages are no longer tracked, and each failed one blocks the later
   * messages of its group until it is received again or has left the queue.
   */
  settle(
    batch: readonly LocalMessage[],
    failedIds: ReadonlySet<string>,
    maxReceiveCount: number | undefined,
  ): void {
    for (const message of batch) {
      this.known.delete(message.messageId);
      const visibleAt = this.visibleBy.get(message.messageId) ?? message.visibleAt;
      this.visibleBy.delete(message.messageId);
      if (!failedIds.has(message.messageId)) {
        this.phantoms.delete(message.messageId);
        continue;
      }
      const waiting = this.awaiting.get(message.groupId) ?? new Map<string, Awaited>();
      waiting.set(message.messageId, {
        sequence: message.sequence,
        visibleAt,
        dead: maxReceiveCount !== undefined && message.receiveCount >= maxReceiveCount,
      });
      this.awaiting.set(message.groupId, waiting);
    }
  }

  /** The batch's groups may run again. */
  release(groups: readonly string[]): void {
    for (const group of groups) this.busy.delete(group);
  }

  /** Held messages whose visibility ends within `thresholdMs` of `now`. */
  dueForExtension(now: number, thresholdMs: number): LocalMessage[] {
    const due: LocalMessage[] = [];
    for (const list of this.held.values()) {
      for (const message of list) if (message.visibleAt - now < thresholdMs) due.push(message);
    }
    return due;
  }

  /** Drops a held message whose receipt handle is no longer valid; if still queued, it comes back. */
  forget(message: LocalMessage): void {
    this.known.delete(message.messageId);
    this.visibleBy.delete(message.messageId);
    const list = this.held.get(message.groupId);
    if (list === undefined) return;
    const rest = list.filter((m) => m !== message);
    if (rest.length > 0) this.held.set(message.groupId, rest);
    else this.held.delete(message.groupId);
  }
}
