/**
 * A local SQS event source mapping with Lambda's semantics, including FIFO message-group ordering
 * that the SQS emulator does not enforce itself (see `../shared/guides/LOCAL-AWS.md`).
 *
 * - Short polls (`WaitTimeSeconds` 0) in a loop: a long poll of local-aws-sqs can return one message
 *   several times in one answer.
 * - Up to `concurrency` batches of at most `batchSize` messages run at once.
 * - Partial batch failures (`batchItemFailures`): only the successes are deleted; the failures
 *   become visible again when their visibility timeout ends, and the queue's own `maxReceiveCount`
 *   moves them to the dead-letter queue. A thrown error, a timeout or a malformed response fails the
 *   whole batch (nothing deleted).
 * - FIFO groups: at most one batch per group is in flight. A message of a busy group that the
 *   emulator hands out early is held here, ordered by `SequenceNumber`, until its turn. After a
 *   failure, no later message of the group runs until each failed message is received again (or,
 *   when that message had used its last receive, until the queue has moved it to the DLQ).
 * - A held message whose visibility is about to end is extended, so nobody else can take it out of
 *   order. Measured here: local-aws-sqs counts a ChangeMessageVisibility as a receive (SQS does
 *   not), so an extension costs the message one of its `maxReceiveCount` receives — the same as
 *   letting it lapse and receiving it again. Extensions are therefore made only at the last moment,
 *   which with the scaled 18 s visibility timeout means almost never.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { describeError, invokeHandler, type LambdaHandler } from './invoke.js';

/** Settings of an SQS mapping; defaults come from `PIPELINE_SETTINGS.export`. */

/** How many visibility timeouts one extension of a held message lasts. */
const HOLD_EXTENSION_FACTOR = 3;
export interface SqsPollerOptions {
  readonly sqsClient: SQSClient;
  readonly queueUrl: string;
  readonly handler: LambdaHandler<SQSEvent, unknown>;
  /** @default 'export' */
  readonly functionName?: string;
  /** Invocation timeout (already scaled); keep it below the queue's visibility timeout. */
  readonly timeoutMs: number;
  /** @default PIPELINE_SETTINGS.export.batchSize */
  readonly batchSize?: number;
  /** Concurrent batches. @default PIPELINE_SETTINGS.export.localConcurrency */
  readonly concurrency?: number;
  /** Pause between receives while the queue is empty. @default 100 */
  readonly pollIntervalMs?: number;
  /** @default true (the export mapping reports batch item failures) */
  readonly reportBatchItemFailures?: boolean;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Called after every invocation (tests and the demo observe the runtime). */
  readonly onEvent?: (event: SqsPollerEvent) => void;
}

/** What the poller reports through `onEvent`. */
export type SqsPollerEvent =
  | {
      readonly type: 'invoke';
      readonly messageIds: readonly string[];
      readonly groups: readonly string[];
      /** The messages' ApproximateReceiveCount, in batch order. */
      readonly receiveCounts: readonly number[];
      readonly outcome: 'success' | 'partial' | 'error';
      readonly failedMessageIds: readonly string[];
      readonly error?: string;
    }
  | { readonly type: 'error'; readonly error: string };

interface LocalMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly sequence: string;
  receiptHandle: string;
  receiveCount: number;
  /** Epoch ms when the message becomes visible again in the queue unless extended or deleted. */
  visibleAt: number;
  record: SQSRecord;
}

/** A failed message its group waits for. */
interface Awaited {
  readonly sequence: string;
  readonly visibleAt: number;
  /** The message had used its last receive: the queue moves it to the DLQ instead of returning it. */
  readonly dead: boolean;
}

function compareSequence(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Runs one SQS event source mapping until stop(). */
export class SqsPoller {
  private readonly options: SqsPollerOptions;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private visibilityTimeoutSeconds = 30;
  private maxReceiveCount: number | undefined;
  private fifo = false;
  private queueArn = '';
  /** Every message this poller holds or runs, by id. */
  private readonly known = new Map<string, LocalMessage>();
  /** Received messages waiting for their turn, by group, in sequence order. */
  private readonly held = new Map<string, LocalMessage[]>();
  private readonly busyGroups = new Set<string>();
  /** Per group, the failed messages (by id) not yet received again: later messages wait for them. */
  private readonly awaiting = new Map<string, Map<string, Awaited>>();
  private readonly running = new Set<Promise<void>>();
  private lastReceiveStartedAt = 0;
  private lastReceiveCount = 0;
  private lastEmptyReceiveStartedAt = 0;
  private lastExtendAt = 0;

  constructor(options: SqsPollerOptions) {
    this.options = options;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? PIPELINE_SETTINGS.export.batchSize;
  }
  private get concurrency(): number {
    return this.options.concurrency ?? PIPELINE_SETTINGS.export.localConcurrency;
  }

  /**
   * Reads the queue's visibility timeout and redrive policy, then starts polling.
   * @throws the SDK's error when the queue does not exist.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    const { Attributes = {} } = await this.options.sqsClient.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.queueUrl,
        AttributeNames: ['VisibilityTimeout', 'RedrivePolicy', 'FifoQueue', 'QueueArn'],
      }),
    );
    this.visibilityTimeoutSeconds = Number(Attributes.VisibilityTimeout ?? 30);
    this.fifo = Attributes.FifoQueue === 'true';
    this.queueArn = Attributes.QueueArn ?? '';
    if (Attributes.RedrivePolicy) {
      const policy = JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: number | string };
      if (policy.maxReceiveCount !== undefined) this.maxReceiveCount = Number(policy.maxReceiveCount);
    }
    this.stopped = false;
    this.loop = this.run();
  }

  /**
   * Stops receiving and waits for running batches. Held messages are left to become visible again
   * when their visibility timeout ends (they were not attempted).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop;
    await Promise.all([...this.running]);
  }

  /** True when nothing is held, blocked or running and the last receive returned nothing. */
  isIdle(): boolean {
    return (
      this.known.size === 0 &&
      this.running.size === 0 &&
      this.awaiting.size === 0 &&
      this.lastReceiveCount === 0
    );
  }

  /** Counts for observers. */
  snapshot(): { held: number; running: number; blockedGroups: number } {
    let held = 0;
    for (const list of this.held.values()) held += list.length;
    return { held, running: this.running.size, blockedGroups: this.awaiting.size };
  }

  private emit(event: SqsPollerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // An observer's bug must not stop the mapping.
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        this.releaseBlocks();
        this.dispatch();
        await this.extendHeld();
        if (this.dispatchableCount() < this.batchSize * this.concurrency) {
          const received = await this.receive();
          this.dispatch();
          if (received > 0) continue;
        }
      } catch (error) {
        // The emulator is down (restart) or answered an error: try again shortly.
        this.emit({ type: 'error', error: describeError(error) });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs ?? 100);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private dispatchableCount(): number {
    let count = 0;
    for (const [group, list] of this.held) {
      if (!this.busyGroups.has(group)) count += this.runnable(group, list).length;
    }
    return count;
  }

  private async receive(): Promise<number> {
    const startedAt = Date.now();
    const { Messages = [] } = await this.options.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    this.lastReceiveStartedAt = startedAt;
    this.lastReceiveCount = Messages.length;
    if (Messages.length === 0) this.lastEmptyReceiveStartedAt = startedAt;
    const visibleAt = startedAt + this.visibilityTimeoutSeconds * 1000;
    const sorted = Messages.map((m) => this.toLocal(m, visibleAt)).sort((a, b) =>
      compareSequence(a.sequence, b.sequence),
    );
    for (const message of sorted) {
      const existing = this.known.get(message.messageId);
      if (existing !== undefined) {
        // Seen again while we hold or run it (its visibility lapsed): the new handle is the valid one.
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
    return Messages.length;
  }

  private toLocal(message: Message, visibleAt: number): LocalMessage {
    const attributes = message.Attributes ?? {};
    const messageId = message.MessageId ?? '';
    const groupId = this.fifo ? (attributes.MessageGroupId ?? messageId) : messageId;
    const record: SQSRecord = {
      messageId,
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: attributes as unknown as SQSRecord['attributes'],
      messageAttributes: (message.MessageAttributes ?? {}) as unknown as SQSRecord['messageAttributes'],
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn,
      awsRegion: this.options.region ?? 'us-east-1',
    };
    return {
      messageId,
      groupId,
      sequence: attributes.SequenceNumber ?? String(attributes.SentTimestamp ?? '0'),
      receiptHandle: message.ReceiptHandle ?? '',
      receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
      visibleAt,
      record,
    };
  }

  /**
   * Stops waiting for failed messages that will not come back: one that had used its last receive
   * (the queue moves it to the DLQ on the next receive), or any after a receive, started once its
   * visibility ended, found the queue empty (deleted or moved elsewhere). Waiting on anything weaker
   * (a clock) could let a later message of the group overtake one that is merely slow to return.
   */
  private releaseBlocks(): void {
    // The queue's own deadline is a little later than ours (taken before the receive was sent).
    const margin = 250;
    for (const [group, waiting] of this.awaiting) {
      for (const [messageId, entry] of waiting) {
        const movedByNow = entry.dead && this.lastReceiveStartedAt > entry.visibleAt + margin;
        const notInQueue = this.lastEmptyReceiveStartedAt > entry.visibleAt + margin;
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

  private dispatch(): void {
    while (!this.stopped && this.running.size < this.concurrency) {
      const candidates = [...this.held.entries()]
        .filter(([group]) => !this.busyGroups.has(group))
        .map(([group, list]) => ({ group, list, runnable: this.runnable(group, list) }))
        .filter((c) => c.runnable.length > 0)
        .sort((a, b) =>
          compareSequence((a.runnable[0] as LocalMessage).sequence, (b.runnable[0] as LocalMessage).sequence),
        );
      if (candidates.length === 0) return;
      const batch: LocalMessage[] = [];
      for (const { group, list, runnable } of candidates) {
        if (batch.length >= this.batchSize) break;
        const take = runnable.slice(0, this.batchSize - batch.length);
        list.splice(0, take.length);
        batch.push(...take);
        if (list.length === 0) this.held.delete(group);
        this.busyGroups.add(group);
      }
      const run = this.runBatch(batch).finally(() => {
        this.running.delete(run);
        this.wake?.();
      });
      this.running.add(run);
    }
  }

  private async runBatch(batch: LocalMessage[]): Promise<void> {
    const groups = [...new Set(batch.map((m) => m.groupId))];
    try {
      const outcome = await invokeHandler(
        this.options.handler,
        { Records: batch.map((m) => ({ ...m.record, receiptHandle: m.receiptHandle })) },
        {
          functionName: this.options.functionName ?? 'export',
          timeoutMs: this.options.timeoutMs,
          ...(this.options.region !== undefined && { region: this.options.region }),
        },
      );
      let failedIds: Set<string>;
      let error: string | undefined;
      if (!outcome.ok) {
        failedIds = new Set(batch.map((m) => m.messageId));
        error = describeError(outcome.error);
      } else {
        const parsed =
          (this.options.reportBatchItemFailures ?? true)
            ? this.failuresFrom(outcome.response, batch)
            : new Set<string>();
        if (parsed === undefined) {
          failedIds = new Set(batch.map((m) => m.messageId));
          error = 'the response is not a valid batchItemFailures report';
        } else failedIds = parsed;
      }
      const outcomeKind =
        failedIds.size === 0 ? 'success' : failedIds.size === batch.length || error ? 'error' : 'partial';
      this.emit({
        type: 'invoke',
        messageIds: batch.map((m) => m.messageId),
        groups,
        receiveCounts: batch.map((m) => m.receiveCount),
        outcome: outcomeKind,
        failedMessageIds: [...failedIds],
        ...(error !== undefined && { error }),
      });
      const succeeded = batch.filter((m) => !failedIds.has(m.messageId));
      await this.deleteMessages(succeeded);
      for (const message of batch) {
        this.known.delete(message.messageId);
        if (!failedIds.has(message.messageId)) continue;
        // Later messages of the group wait until this one is received again (or has left the queue).
        const waiting = this.awaiting.get(message.groupId) ?? new Map<string, Awaited>();
        waiting.set(message.messageId, {
          sequence: message.sequence,
          visibleAt: message.visibleAt,
          dead: this.maxReceiveCount !== undefined && message.receiveCount >= this.maxReceiveCount,
        });
        this.awaiting.set(message.groupId, waiting);
      }
    } catch (error) {
      this.emit({ type: 'error', error: `batch: ${describeError(error)}` });
    } finally {
      for (const group of groups) this.busyGroups.delete(group);
    }
  }

  /** The failed message ids, or undefined when the response is malformed (Lambda fails the batch). */
  private failuresFrom(response: unknown, batch: readonly LocalMessage[]): Set<string> | undefined {
    const failed = new Set<string>();
    if (response === undefined || response === null || typeof response !== 'object') return failed;
    const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return failed;
    if (!Array.isArray(failures)) return undefined;
    const ids = new Set(batch.map((m) => m.messageId));
    for (const failure of failures) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || !ids.has(id)) return undefined;
      failed.add(id);
    }
    return failed;
  }

  private async deleteMessages(messages: readonly LocalMessage[]): Promise<void> {
    for (const part of chunk(messages, 10)) {
      for (let attempt = 1; ; attempt++) {
        try {
          const { Failed = [] } = await this.options.sqsClient.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.options.queueUrl,
              Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
            }),
          );
          for (const failure of Failed) {
            this.emit({ type: 'error', error: `DeleteMessage: ${failure.Code}: ${failure.Message}` });
          }
          break;
        } catch (error) {
          // The emulator is restarting: a success must still be deleted, or it runs again.
          this.emit({ type: 'error', error: `DeleteMessageBatch: ${describeError(error)}` });
          if (attempt >= 20) break;
          await sleep(Math.min(100 * attempt, 1_000));
        }
      }
    }
  }

  private forget(message: LocalMessage): void {
    this.known.delete(message.messageId);
    const list = this.held.get(message.groupId);
    if (list === undefined) return;
    const rest = list.filter((m) => m !== message);
    if (rest.length > 0) this.held.set(message.groupId, rest);
    else this.held.delete(message.groupId);
  }

  /**
   * Keeps held messages invisible until their turn: only those whose visibility would end within
   * the next quarter of the timeout (0.5–2 s), because the emulator counts every extension as a
   * receive. Each extension is for {@link HOLD_EXTENSION_FACTOR} visibility timeouts: a held message
   * usually waits one timeout for its failed predecessor to come back, plus the batch's own run time,
   * and a second extension would use up a second receive (dead-lettering it early under load).
   */
  private async extendHeld(): Promise<void> {
    const vt = this.visibilityTimeoutSeconds * 1000;
    const now = Date.now();
    if (now - this.lastExtendAt < 200) return;
    this.lastExtendAt = now;
    const threshold = Math.min(2_000, Math.max(500, vt / 4));
    const due: LocalMessage[] = [];
    for (const list of this.held.values()) {
      for (const message of list) if (message.visibleAt - now < threshold) due.push(message);
    }
    for (const part of chunk(due, 10)) {
      const sentAt = Date.now();
      const { Failed = [] } = await this.options.sqsClient.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: part.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.receiptHandle,
            VisibilityTimeout: this.visibilityTimeoutSeconds * HOLD_EXTENSION_FACTOR,
          })),
        }),
      );
      const failed = new Set(Failed.map((f) => Number(f.Id)));
      part.forEach((message, i) => {
        if (!failed.has(i)) {
          message.visibleAt = sentAt + vt * HOLD_EXTENSION_FACTOR;
          return;
        }
        // The handle is no longer valid (purged, moved, or visible again and received elsewhere):
        // forget the message; if it is still in the queue it will be received again.
        this.forget(message);
      });
    }
  }
}
