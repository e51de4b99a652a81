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
}

const { maxBatchEntries, maxBatchBytes } = PIPELINE_SETTINGS.queueSend;

/**
 * Sends messages with SendMessageBatch, in the order given, keeping FIFO order per group:
 * a batch never holds two entries of one group, and the batches go one after another, so a
 * later entry of a group is sent only after every earlier one was accepted.
 * Entries a call reports as failed are retried alone, with backoff; entries SQS refuses as
 * malformed (`SenderFault`) are returned in `refused` instead of blocking the rest.
 * When entries still fail after `maxAttempts`, no later batch is sent and `unsent` lists them all.
 */
export async function sendInOrder(
  client: SQSClient,
  queueUrl: string,
  entries: readonly QueueEntry[],
  options: SendOptions = {},
): Promise<SendResult> {
  const refused = new Map<string, string>();
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

  for (let b = 0; b < batches.length; b++) {
    const current = batches[b] as QueueEntry[];
    const failure = await sendBatch(client, queueUrl, current, refused, options);
    if (failure !== undefined) {
      const unsentHere = new Set(failure.pending.map((e) => e.id));
      const unsent = [...current.filter((e) => unsentHere.has(e.id)), ...batches.slice(b + 1).flat()].map(
        (e) => e.id,
      );
      return { refused, unsent, lastError: failure.lastError };
    }
  }
  return { refused, unsent: [], lastError: undefined };
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
