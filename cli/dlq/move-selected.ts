/**
 * The selective redrive: one destination's dead-lettered exports moved to the export queue by the
 * CLI itself (SendMessageBatch, then DeleteMessageBatch), in group order.
 */
import { createHash } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { matches, toDeadLetter } from './peek.js';
import { release, sleep } from './queue.js';
import type { RedriveOptions, RedriveResult } from './redrive-types.js';

/** A stable deduplication id for a moved message: the same DLQ message sent twice within SQS's
 * five-minute window is accepted once, and it never collides with the original export's id. */
export function redriveDeduplicationId(dlqMessageId: string): string {
  return createHash('sha256').update(`redrive\u0000${dlqMessageId}`).digest('hex').slice(0, 40);
}

/**
 * Moves one destination's dead-lettered exports to the export queue with SendMessageBatch +
 * DeleteMessageBatch, because StartMessageMoveTask moves the whole queue.
 *
 * The other destinations' messages are held (invisible) while the queue is read and released at
 * the end, so each message is looked at once. A profile's messages are read from the FIFO DLQ in
 * group order and sent in that order with their MessageGroupId; if one fails to send, the later
 * messages of its group stay in the DLQ (counted as failed) rather than overtake it. A message is
 * deleted from the DLQ only after it was sent; a crash in between sends it again with the same
 * deduplication id, which SQS drops within five minutes and the delivery ledger makes harmless after.
 */
export async function moveSelected(options: RedriveOptions, destinationId: string): Promise<RedriveResult> {
  const { sqs, dlqUrl, exportQueueUrl } = options;
  const dryRun = options.dryRun === true;
  const held: string[] = [];
  const seen = new Set<string>();
  const blockedGroups = new Set<string>();
  let toMove = 0;
  let moved = 0;
  let failed = 0;
  let empty = 0;
  const minIntervalMs = options.rate === undefined ? 0 : 1_000 / options.rate;
  let nextSendAt = Date.now();
  try {
    while (empty < 3) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 120,
          WaitTimeSeconds: 0,
          // The SQS emulator reads only the older AttributeNames; AWS accepts both.
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          // Moved with the message, as StartMessageMoveTask does: its failure stays attached.
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      const selected: GroupedMessage[] = [];
      let repeated = false;
      for (const m of Messages) {
        const id = m.MessageId ?? '';
        if (seen.has(id)) repeated = true;
        seen.add(id);
        const letter = toDeadLetter(m);
        if (matches(letter, destinationId) && !repeated) selected.push({ ...m, groupId: letter.groupId });
        else if (m.ReceiptHandle !== undefined) held.push(m.ReceiptHandle);
      }
      toMove += selected.length;
      if (!dryRun && selected.length > 0) {
        const wait = nextSendAt - Date.now();
        if (wait > 0) await sleep(wait);
        nextSendAt = Math.max(nextSendAt, Date.now()) + selected.length * minIntervalMs;
        const result = await sendAndDelete(sqs, dlqUrl, exportQueueUrl, selected, blockedGroups);
        moved += result.moved;
        failed += result.failed;
        held.push(...result.kept);
      } else {
        held.push(...selected.flatMap((m) => (m.ReceiptHandle === undefined ? [] : [m.ReceiptHandle])));
      }
      options.onProgress?.({ moved, toMove });
      if (repeated) break;
    }
  } finally {
    await release(sqs, dlqUrl, held);
  }
  return {
    mechanism: 'selective',
    dryRun,
    toMove,
    moved,
    failed,
    status: dryRun ? 'DRY_RUN' : failed === 0 ? 'COMPLETED' : 'PARTIAL',
  };
}

/** A received message with its group (from the attributes, else from the envelope). */
type GroupedMessage = Message & { readonly groupId: string | undefined };

async function sendAndDelete(
  sqs: SQSClient,
  dlqUrl: string,
  exportQueueUrl: string,
  messages: readonly GroupedMessage[],
  blockedGroups: Set<string>,
): Promise<{ moved: number; failed: number; kept: string[] }> {
  const kept: string[] = [];
  let failed = 0;
  const sendable: GroupedMessage[] = [];
  for (const m of messages) {
    const group = m.groupId;
    if (group !== undefined && blockedGroups.has(group)) {
      failed += 1;
      if (m.ReceiptHandle !== undefined) kept.push(m.ReceiptHandle);
    } else sendable.push(m);
  }
  if (sendable.length === 0) return { moved: 0, failed, kept };
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
    const group = m.groupId;
    if (group !== undefined) blockedGroups.add(group);
    if (m.ReceiptHandle !== undefined) kept.push(m.ReceiptHandle);
  });
  if (sent.length > 0) {
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
    // A message sent but not deleted comes back to the DLQ; a second redrive sends it with the
    // same deduplication id, and the delivery ledger skips it if it was delivered meanwhile.
    for (const f of deleted.Failed ?? []) {
      const m = sent[Number(f.Id)];
      if (m?.ReceiptHandle !== undefined) kept.push(m.ReceiptHandle);
    }
  }
  return { moved: sent.length, failed, kept };
}
