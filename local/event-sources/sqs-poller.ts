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
 *   not), as it counts the receive of a held message whose visibility lapsed — receives SQS would
 *   never make, since it hands a group's next message out only after the previous one is done.
 *   Extensions are made only at the last moment; the receives the emulator counts while a message
 *   is held are taken off the `ApproximateReceiveCount` the function sees (`FifoGroups.receiveCountOf`),
 *   and the local export queue's redrive policy allows for them (`local/resources.ts`).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { definedOnly } from './defined-only.js';
import { EmulatorJsonClient } from './emulator-json.js';
import { FifoGroups } from './fifo-groups.js';
import { describeError, invokeHandler, type LambdaHandler } from './invoke.js';
import { failuresFrom, type LocalMessage, toLocalMessage } from './sqs-messages.js';
import {
  deleteMessages,
  extendVisibility,
  type QueueSettings,
  readQueueSettings,
  receiveMessages,
} from './sqs-queue.js';

/** The most messages one ReceiveMessage call returns. */
const MAX_RECEIVE = 10;

/** How many visibility timeouts one extension of a held message lasts. */
const HOLD_EXTENSION_FACTOR = 3;

/** Settings of an SQS mapping; defaults come from `PIPELINE_SETTINGS.export`. */
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

/** The options with the defaults filled in. */
type ResolvedOptions = Required<Omit<SqsPollerOptions, 'onEvent'>> & Pick<SqsPollerOptions, 'onEvent'>;

function resolveOptions(options: SqsPollerOptions): ResolvedOptions {
  return {
    functionName: 'export',
    batchSize: PIPELINE_SETTINGS.export.batchSize,
    concurrency: PIPELINE_SETTINGS.export.localConcurrency,
    pollIntervalMs: 100,
    reportBatchItemFailures: true,
    region: 'us-east-1',
    ...definedOnly(options),
    sqsClient: options.sqsClient,
    queueUrl: options.queueUrl,
    handler: options.handler,
    timeoutMs: options.timeoutMs,
  };
}

/** Runs one SQS event source mapping until stop(). */
export class SqsPoller {
  private readonly options: ResolvedOptions;
  /** The receives, deletes and extensions, answered as the wire's JSON (`emulator-json.ts`). */
  private readonly calls: EmulatorJsonClient;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private queue: QueueSettings = {
    visibilityTimeoutSeconds: 30,
    fifo: false,
    queueArn: '',
    maxReceiveCount: undefined,
  };
  private readonly groups = new FifoGroups();
  private readonly running = new Set<Promise<void>>();
  private lastReceiveStartedAt = 0;
  private lastReceiveCount = 0;
  private lastEmptyReceiveStartedAt = 0;
  private lastExtendAt = 0;

  constructor(options: SqsPollerOptions) {
    this.options = resolveOptions(options);
    this.calls = EmulatorJsonClient.of(options.sqsClient, 'sqs', 'AmazonSQS');
  }

  /**
   * Reads the queue's visibility timeout and redrive policy, then starts polling.
   * @throws the SDK's error when the queue does not exist.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.queue = await readQueueSettings(this.options.sqsClient, this.options.queueUrl);
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
    this.calls.destroy();
  }

  /** True when nothing is held, blocked or running and the last receive returned nothing. */
  isIdle(): boolean {
    return this.groups.isEmpty() && this.running.size === 0 && this.lastReceiveCount === 0;
  }

  /** Counts for observers. */
  snapshot(): { held: number; running: number; blockedGroups: number } {
    const { held, blockedGroups } = this.groups.counts();
    return { held, running: this.running.size, blockedGroups };
  }

  private emit(event: SqsPollerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // An observer's bug must not stop the mapping.
    }
  }

  private async run(): Promise<void> {
    const { batchSize, concurrency } = this.options;
    while (!this.stopped) {
      try {
        this.groups.releaseBlocks(this.lastReceiveStartedAt, this.lastEmptyReceiveStartedAt);
        this.dispatch();
        await this.extendHeld();
        if (this.groups.runnableCount() < batchSize * concurrency) {
          const received = await this.receive();
          this.dispatch();
          if (received > 0) continue;
        }
      } catch (error) {
        // The emulator is down (restart) or answered an error: try again shortly.
        this.emit({ type: 'error', error: describeError(error) });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * One round of receives: one after a round that found the queue empty, otherwise as many as there
   * is room for runnable messages (up to `concurrency`), as Lambda polls with several pollers while
   * messages flow. A local receive answers at the first of the emulator's 10 ms scans that fills it,
   * or after 40 ms with what it found: one receive at a time capped the mapping at ten messages per
   * fill, about 500 a second. Nothing of a round is admitted before every receive of it has answered:
   * a later message of a group in one answer must not run before an earlier one still on its way in
   * another. A receive that fails does not lose the others' messages.
   * @throws the first failed receive's error, after the others' messages were admitted.
   */
  private async receive(): Promise<number> {
    const { batchSize, concurrency } = this.options;
    const room = Math.ceil((batchSize * concurrency - this.groups.runnableCount()) / MAX_RECEIVE);
    const count = this.lastReceiveCount === 0 ? 1 : Math.max(1, Math.min(concurrency, room));
    const startedAt = Date.now();
    const answers = await Promise.allSettled(
      Array.from({ length: count }, () => receiveMessages(this.calls, this.options.queueUrl)),
    );
    // The queue set the messages' visibility before it answered: visible again by this plus the timeout.
    const answeredAt = Date.now();
    const messages = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
    const received = answers.filter((a) => a.status === 'fulfilled');
    this.lastReceiveStartedAt = startedAt;
    this.lastReceiveCount = messages.length;
    // A receive of the round found nothing visible: what it did not see is not in the queue (what another
    // receive of the round took is admitted below, before any block is released).
    if (received.some((a) => a.value.length === 0)) this.lastEmptyReceiveStartedAt = startedAt;
    const visibleAt = startedAt + this.queue.visibilityTimeoutSeconds * 1000;
    const source = { fifo: this.queue.fifo, queueArn: this.queue.queueArn, region: this.options.region };
    this.groups.admit(
      messages.map((m) => toLocalMessage(m, source, visibleAt)),
      answeredAt + this.queue.visibilityTimeoutSeconds * 1000,
    );
    const failed = answers.find((a) => a.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return messages.length;
  }

  private dispatch(): void {
    while (!this.stopped && this.running.size < this.options.concurrency) {
      const batch = this.groups.takeBatch(this.options.batchSize);
      if (batch === undefined) return;
      const run = this.runBatch(batch).finally(() => {
        this.running.delete(run);
        // The next held batch starts now, not when the loop's receive round has answered.
        this.dispatch();
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
        {
          Records: batch.map((m) => ({
            ...m.record,
            receiptHandle: m.receiptHandle,
            attributes: {
              ...m.record.attributes,
              ApproximateReceiveCount: String(this.groups.receiveCountOf(m)),
            },
          })),
        },
        {
          functionName: this.options.functionName,
          timeoutMs: this.options.timeoutMs,
          region: this.options.region,
        },
      );
      let failedIds: Set<string>;
      let error: string | undefined;
      if (!outcome.ok) {
        failedIds = new Set(batch.map((m) => m.messageId));
        error = describeError(outcome.error);
      } else {
        const parsed = this.options.reportBatchItemFailures
          ? failuresFrom(outcome.response, batch)
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
        receiveCounts: batch.map((m) => this.groups.receiveCountOf(m)),
        outcome: outcomeKind,
        failedMessageIds: [...failedIds],
        ...(error !== undefined && { error }),
      });
      const succeeded = batch.filter((m) => !failedIds.has(m.messageId));
      await deleteMessages(this.calls, this.options.queueUrl, succeeded, (message) =>
        this.emit({ type: 'error', error: message }),
      );
      // Later messages of a failed one's group wait until it is received again (or has left the queue).
      this.groups.settle(batch, failedIds, this.queue.maxReceiveCount);
    } catch (error) {
      this.emit({ type: 'error', error: `batch: ${describeError(error)}` });
    } finally {
      this.groups.release(groups);
    }
  }

  /**
   * Keeps held messages invisible until their turn: only those whose visibility would end within
   * the next quarter of the timeout (0.5–2 s), because the emulator counts every extension as a
   * receive. Each extension is for {@link HOLD_EXTENSION_FACTOR} visibility timeouts: a held message
   * usually waits one timeout for its failed predecessor to come back, plus the batch's own run time,
   * and a second extension would use up a second receive (dead-lettering it early under load).
   */
  private async extendHeld(): Promise<void> {
    const vt = this.queue.visibilityTimeoutSeconds * 1000;
    const now = Date.now();
    if (now - this.lastExtendAt < 200) return;
    this.lastExtendAt = now;
    const due = this.groups.dueForExtension(now, Math.min(2_000, Math.max(500, vt / 4)));
    if (due.length === 0) return;
    await extendVisibility(
      this.calls,
      this.options.queueUrl,
      due,
      this.queue.visibilityTimeoutSeconds * HOLD_EXTENSION_FACTOR,
      // If the message is still in the queue, it will be received again.
      (message) => this.groups.forget(message),
      // Called once the extension was answered: the queue's new deadline is before now plus the extension.
      (message) =>
        this.groups.extended(
          message,
          Date.now() + this.queue.visibilityTimeoutSeconds * HOLD_EXTENSION_FACTOR * 1000,
        ),
    );
  }
}
