import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { sleep as defaultSleep, fullJitterDelay } from './backoff.js';

/** One message to send. `id` is unique within one call. */
export interface QueueEntry {
  readonly id: string;
  readonly body: string;
  /** FIFO queues: the message group. Two entries of one group never share a batch call. */
  readonly groupId?: string;
  /** FIFO queues: the deduplication id (a resend within 5 minutes is dropped by SQS). */
  readonly deduplicationId?: string;
}

/** Outcome of {@link sendInOrder}. */
export interface SendResult {
  /** Entries SQS rejected for what they are (too large, invalid characters…), with its message: not retried. */
  readonly refused: ReadonlyMap<string, string>;
  /**
   * Entries not sent, in the order given: those still failing after retries and every entry after
   * them (nothing later is sent once an entry could not be). Empty when everything was sent.
   */
  readonly unsent: readonly string[];
  /** The last error seen, for logs. */
  readonly lastError: string | undefined;
}

export interface SendOptions {
  /** Attempts per batch call for entries that failed transiently. @default 4 */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /**
   * Batch calls in flight at once. Above 1, a batch goes out as soon as every earlier batch that
   * shares a message group with it was accepted, and batches of other groups overlap it. For FIFO
   * entries with deduplication ids only: once a batch fails, later batches may already be queued,
   * and they are reported `unsent` all the same — the caller sends them again, and SQS drops the
   * copies (five-minute deduplication). @default 1
   */
  readonly concurrency?: number;
}

const { maxBatchEntries, maxBatchBytes } = PIPELINE_SETTINGS.queueSend;

/**
 * Sends messages with SendMessageBatch, in the order given, keeping FIFO order per group:
 * a batch never holds two entries of one group, and a later entry of a group is sent only after
 * every earlier one was accepted (batches go one after another, or, with `concurrency`, overlap
 * where they share no group).
 * Entries a call reports as failed are retried alone, with backoff; entries SQS refuses as
 * malformed (`SenderFault`) are returned in `refused` instead of blocking the rest.
 * When entries still fail after `maxAttempts`, no later batch is started and `unsent` lists them
 * and every later entry.
 */
export async function sendInOrder(
  client: SQSClient,
  queueUrl: string,
  entries: readonly QueueEntry[],
  options: SendOptions = {},
): Promise<SendResult> {
  const batches = batchesOf(entries);
  const refused: Map<string, string>[] = batches.map(() => new Map());
  const outcomes: Promise<BatchOutcome>[] = [];
  /** The first batch that failed so far: no batch after it starts. */
  let firstFailed = Number.POSITIVE_INFINITY;
  const slots = new Slots(Math.max(1, options.concurrency ?? 1));
  const lastOfGroup = new Map<string, number>();
  for (const [b, batch] of batches.entries()) {
    const after = new Set<number>();
    for (const entry of batch) {
      const earlier = entry.groupId === undefined ? undefined : lastOfGroup.get(entry.groupId);
      if (earlier !== undefined) after.add(earlier);
      if (entry.groupId !== undefined) lastOfGroup.set(entry.groupId, b);
    }
    // Without concurrency every batch waits for the one before it, as the calls always did.
    if ((options.concurrency ?? 1) <= 1 && b > 0) after.add(b - 1);
    const waitFor = [...after].map((d) => outcomes[d] as Promise<BatchOutcome>);
    outcomes.push(
      (async (): Promise<BatchOutcome> => {
        const before = await Promise.all(waitFor);
        if (before.some((o) => o !== 'sent')) return 'skipped';
        return slots.run(async () => {
          if (b > firstFailed) return 'skipped';
          const failure = await sendBatch(
            client,
            queueUrl,
            batch,
            refused[b] as Map<string, string>,
            options,
          );
          if (failure !== undefined) firstFailed = Math.min(firstFailed, b);
          return failure ?? 'sent';
        });
      })(),
    );
  }
  const settled = await Promise.all(outcomes);
  const failedAt = settled.findIndex((o) => o !== 'sent');
  if (failedAt < 0)
    return { refused: new Map(refused.flatMap((r) => [...r])), unsent: [], lastError: undefined };
  // Refusals after the first failure are not reported: those entries are sent again, and refused again.
  const refusedBefore = new Map(refused.slice(0, failedAt + 1).flatMap((r) => [...r]));
  const failure = settled[failedAt];
  const current = batches[failedAt] as QueueEntry[];
  // (A batch before every failure is never skipped; were it, all of it would count as unsent.)
  const pendingHere =
    typeof failure === 'object'
      ? new Set(failure.pending.map((e) => e.id))
      : new Set(current.map((e) => e.id));
  const unsent = [...current.filter((e) => pendingHere.has(e.id)), ...batches.slice(failedAt + 1).flat()].map(
    (e) => e.id,
  );
  return {
    refused: refusedBefore,
    unsent,
    lastError: typeof failure === 'object' ? failure.lastError : 'not sent: an earlier batch failed',
  };
}

/** How a batch ended: accepted, not started (an earlier batch failed), or failed. */
type BatchOutcome = 'sent' | 'skipped' | { pending: QueueEntry[]; lastError: string };

/**
 * The entries as SendMessageBatch calls, in order: at most `maxBatchEntries` entries and
 * `maxBatchBytes` of bodies per call, and never two entries of one group in one call.
 */
function batchesOf(entries: readonly QueueEntry[]): QueueEntry[][] {
  const batches: QueueEntry[][] = [];
  let batch: QueueEntry[] = [];
  let bytes = 0;
  const groups = new Set<string>();
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.body, 'utf8');
    const sameGroup = entry.groupId !== undefined && groups.has(entry.groupId);
    if (batch.length > 0 && (batch.length === maxBatchEntries || bytes + size > maxBatchBytes || sameGroup)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
      groups.clear();
    }
    batch.push(entry);
    bytes += size;
    if (entry.groupId !== undefined) groups.add(entry.groupId);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** At most `size` tasks at once, started in the order they asked. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A task that waits is handed the slot of the one that ends.
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running -= 1;
    }
  }
}

async function sendBatch(
  client: SQSClient,
  queueUrl: string,
  batch: readonly QueueEntry[],
  refused: Map<string, string>,
  options: SendOptions,
): Promise<{ pending: QueueEntry[]; lastError: string } | undefined> {
  const maxAttempts = options.maxAttempts ?? 4;
  const wait = options.sleep ?? defaultSleep;
  let pending = batch;
  let lastError = '';
  for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) await wait(fullJitterDelay(attempt, 50, 1_000, options.random));
    const byId = new Map(pending.map((e, i) => [`m${i}`, e]));
    try {
      const response = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [...byId].map(
            ([Id, e]): SendMessageBatchRequestEntry => ({
              Id,
              MessageBody: e.body,
              ...(e.groupId !== undefined && { MessageGroupId: e.groupId }),
              ...(e.deduplicationId !== undefined && { MessageDeduplicationId: e.deduplicationId }),
            }),
          ),
        }),
      );
      const retry: QueueEntry[] = [];
      for (const failure of response.Failed ?? []) {
        const entry = failure.Id === undefined ? undefined : byId.get(failure.Id);
        if (entry === undefined) continue;
        const detail = `${failure.Code ?? 'Error'}: ${failure.Message ?? 'no message'}`;
        if (failure.SenderFault === true) refused.set(entry.id, detail);
        else retry.push(entry);
        lastError = detail;
      }
      pending = retry;
    } catch (error) {
      // The whole call failed (throttled, network, 5xx after the SDK's own retries): retry it.
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  return pending.length > 0 ? { pending: [...pending], lastError } : undefined;
}
