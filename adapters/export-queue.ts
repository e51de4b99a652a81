import { createHash } from 'node:crypto';
import { DeleteMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AttributeValue } from '../core/dead-letter.js';

/**
 * The dead-letter queue's deduplication id of a move: unique per life of the message in the export
 * queue (a redriven message is a new message with a new id), so moving the same message twice — its
 * delete failed — is dropped by SQS, and moving it again after a redrive is not.
 */
export function deadLetterDeduplicationId(messageId: string): string {
  return createHash('sha256').update(`dead-letter\u0000${messageId}`).digest('hex').slice(0, 40);
}

/** A message to move to the dead-letter queue. */
export interface DeadLetterMove {
  /** The export queue message's receipt handle (this receive's). */
  readonly receiptHandle: string;
  readonly body: string;
  readonly groupId: string;
  /** Unique per life of the message in the export queue: a repeated move is dropped by SQS. */
  readonly deduplicationId: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** Options of {@link ExportQueue}. */
export interface ExportQueueOptions {
  readonly client: SQSClient;
  readonly exportQueueUrl: string;
  readonly deadLetterQueueUrl: string;
}

/**
 * The export function's own calls on its queues: deleting messages it has put (so a later timeout
 * cannot hand them out again) and moving a message the last-attempt rule sends to the dead-letter
 * queue, with its failure as message attributes.
 */
export class ExportQueue {
  constructor(private readonly options: ExportQueueOptions) {}

  /**
   * Deletes messages from the export queue, ten at a time. Returns the receipt handles that were not
   * deleted; never throws (a message not deleted is deleted by the event source mapping after the
   * invocation, or handed out again).
   */
  async deleteMessages(receiptHandles: readonly string[]): Promise<Set<string>> {
    const failed = new Set<string>();
    for (let i = 0; i < receiptHandles.length; i += 10) {
      const part = receiptHandles.slice(i, i + 10);
      try {
        const { Failed = [] } = await this.options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.exportQueueUrl,
            Entries: part.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle })),
          }),
        );
        for (const f of Failed) {
          const handle = part[Number(f.Id)];
          if (handle !== undefined) failed.add(handle);
        }
      } catch {
        for (const handle of part) failed.add(handle);
      }
    }
    return failed;
  }

  /**
   * Moves one message to the dead-letter queue: SendMessage (same body and group, the failure as
   * attributes), then DeleteMessage from the export queue. `moved` once it is out of the export
   * queue; `not-sent` when the send failed (the message stays, and the queue's redrive policy moves it
   * after its last receive); `not-deleted` when it is in the dead-letter queue but still in the export
   * queue (it comes back once more, and moving it again is dropped by SQS as a duplicate within five
   * minutes). Never throws.
   */
  async moveToDeadLetterQueue(
    move: DeadLetterMove,
  ): Promise<{ readonly outcome: 'moved' | 'not-sent' | 'not-deleted'; readonly error?: unknown }> {
    try {
      await this.options.client.send(
        new SendMessageCommand({
          QueueUrl: this.options.deadLetterQueueUrl,
          MessageBody: move.body,
          MessageGroupId: move.groupId,
          MessageDeduplicationId: move.deduplicationId,
          MessageAttributes: { ...move.attributes },
        }),
      );
    } catch (error) {
      return { outcome: 'not-sent', error };
    }
    const failed = await this.deleteMessages([move.receiptHandle]);
    return { outcome: failed.size === 0 ? 'moved' : 'not-deleted' };
  }
}
