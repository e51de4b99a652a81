/**
 * The selective redrive: the dead letters a predicate selects (one destination's, or every
 * retryable one) moved to the export queue by the CLI itself (SendMessageBatch, then
 * DeleteMessageBatch), in group order.
 */
import { createHash } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { HeldMessages } from './hold.js';
import { type DeadLetter, receiveDeadLetters, toDeadLetter } from './peek.js';
import { sleep } from './queue.js';

/** A stable deduplication id for a moved message: the same DLQ message sent twice within SQS's
 * five-minute window is accepted once, and it never collides with the original export's id. */
export function redriveDeduplicationId(dlqMessageId: string): string {
  return createHash('sha256').update(`redrive\u0000${dlqMessageId}`).digest('hex').slice(0, 40);
}

/** Options of {@link moveSelected}. */
export interface MoveSelectedOptions {
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  readonly exportQueueUrl: string;
  /** Which dead letters move. */
  readonly select: (letter: DeadLetter) => boolean;
  /** Messages per second. @default - as fast as the calls go */
  readonly rate?: number;
  /** Seconds a received message is held; renewed while the move goes on. @default 60 */
  readonly holdSeconds?: number;
  /** Consecutive empty receives that end the read. @default 3 */
  readonly emptyReceives?: number;
  readonly onProgress?: (progress: { moved: number; toMove: number }) => void;
}

/** What {@link moveSelected} did. */
export interface MoveSelectedResult {
  /** Selected messages read. */
  readonly selected: number;
  readonly moved: number;
  /** Selected messages not moved (a send refused, or a later message of a group whose earlier one was not sent). */
  readonly failed: number;
}

/** A received message with its group (from the attributes, else from the envelope). */
type GroupedMessage = Message & { readonly groupId: string | undefined };

/**
 * Moves the selected dead letters to the export queue with SendMessageBatch + DeleteMessageBatch:
 * StartMessageMoveTask moves the whole queue, and cannot leave one destination's or the
 * non-retryable messages behind.
 *
 * Every message read and not moved is held (invisible) until the end — its hold renewed before it
 * runs out (`hold.ts`), so no message comes back while the queue is read and none is looked at twice —
 * and released then. A profile's messages are read from the FIFO DLQ in group order and sent in that
 * order with their MessageGroupId; if one fails to send, the later messages of its group stay in the
 * DLQ (counted as failed) rather than overtake it. A message is deleted from the DLQ only after it was
 * sent; a crash in between sends it again with the same deduplication id, which SQS drops within five
 * minutes and the delivery ledger makes harmless after. Whether the DLQ still holds selected messages
 * at the end (another reader held some) is for the caller to check (`verify.ts`).
 * @throws the SDK's error (after releasing what was held).
 */
export async function moveSelected(options: MoveSelectedOptions): Promise<MoveSelectedResult> {
  const { sqs, dlqUrl, exportQueueUrl } = options;
  const holdSeconds = options.holdSeconds ?? 60;
  const held = new HeldMessages({ sqs, queueUrl: dlqUrl, holdSeconds });
  const seen = new Set<string>();
  const blockedGroups = new Set<string>();
  let selected = 0;
  let moved = 0;
  let failed = 0;
  let empty = 0;
  const minIntervalMs = options.rate === undefined ? 0 : 1_000 / options.rate;
  let nextSendAt = Date.now();
  try {
    while (empty < (options.emptyReceives ?? 3)) {
      const { Messages = [] } = await sqs.send(receiveDeadLetters(dlqUrl, holdSeconds));
      if (Messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      const batch: GroupedMessage[] = [];
      for (const m of Messages) {
        const id = m.MessageId ?? '';
        held.add(m.ReceiptHandle);
        // Seen again: its hold ran out although renewed; it was looked at once already.
        if (seen.has(id)) continue;
        seen.add(id);
        const letter = toDeadLetter(m);
        if (options.select(letter)) batch.push({ ...m, groupId: letter.groupId });
      }
      selected += batch.length;
      if (batch.length > 0) {
        const wait = nextSendAt - Date.now();
        if (wait > 0) await sleep(wait);
        nextSendAt = Math.max(nextSendAt, Date.now()) + batch.length * minIntervalMs;
        const result = await sendAndDelete(sqs, dlqUrl, exportQueueUrl, batch, blockedGroups);
        moved += result.moved.length;
        failed += result.failed;
        for (const handle of result.moved) held.forget(handle);
      }
      options.onProgress?.({ moved, toMove: selected });
    }
  } finally {
    await held.releaseAll();
  }
  return { selected, moved, failed };
}

/** Sends a batch in order and deletes what was sent; returns the receipt handles deleted. */
async function sendAndDelete(
  sqs: SQSClient,
  dlqUrl: string,
  exportQueueUrl: string,
  messages: readonly GroupedMessage[],
  blockedGroups: Set<string>,
): Promise<{ moved: string[]; failed: number }> {
  let failed = 0;
  const sendable: GroupedMessage[] = [];
  for (const m of messages) {
    const group = m.groupId;
    if (group !== undefined && blockedGroups.has(group)) failed += 1;
    else sendable.push(m);
  }
  if (sendable.length === 0) return { moved: [], failed };
  const response = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: exportQueueUrl,
      Entries: sendable.map((m, i) => ({
        Id: String(i),
        MessageBody: m.Body ?? '',
        MessageGroupId: m.groupId,
        MessageDeduplicationId: redriveDeduplicationId(m.MessageId ?? String(i)),
        ...(m.MessageAttributes !== undefined &&
          Object.keys(m.MessageAttributes).length > 0 && { MessageAttributes: m.MessageAttributes }),
      })),
    }),
  );
  const failedIds = new Set((response.Failed ?? []).map((f) => f.Id));
  const sent: Message[] = [];
  sendable.forEach((m, i) => {
    if (!failedIds.has(String(i))) {
      sent.push(m);
      return;
    }
    // Later messages of this group stay in the DLQ rather than overtake it. (One sent in this same
    // batch stays sent: if the failed one arrives after it, the delivery ledger skips it as stale.)
    failed += 1;
    if (m.groupId !== undefined) blockedGroups.add(m.groupId);
  });
  if (sent.length === 0) return { moved: [], failed };
  const deleted = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: dlqUrl,
      Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
    }),
  );
  // A message sent but not deleted stays held, comes back to the DLQ at the end, and the final
  // check counts it; a second redrive sends it with the same deduplication id, and the delivery
  // ledger skips it if it was delivered meanwhile.
  const notDeleted = new Set((deleted.Failed ?? []).map((f) => f.Id));
  const moved = sent.flatMap((m, i) => (notDeleted.has(String(i)) ? [] : [m.ReceiptHandle ?? '']));
  return { moved, failed: failed + notDeleted.size };
}
