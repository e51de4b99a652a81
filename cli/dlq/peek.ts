/**
 * Reading the dead-letter queue without consuming it: each message as a {@link DeadLetter} (its
 * export envelope, or why the body is not one), held while the queue is read and released after.
 */
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DeadLetterReason, readDeadLetterReason } from '../../core/dead-letter.js';
import {
  type ExportMessage,
  exportMessageSchema,
  messageGroupIdFor,
  readExportMessage,
} from '../../core/export-message.js';
import { release } from './queue.js';

/** One message read from the dead-letter queue. */
export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly groupId: string | undefined;
  /** The export message, or `undefined` when the body is not a valid envelope. */
  readonly message: ExportMessage | undefined;
  /** Why the body could not be read, when `message` is undefined. */
  readonly unreadable?: string;
  readonly body: string;
  /** SentTimestamp of the DLQ copy (epoch ms). */
  readonly sentAt: number | undefined;
  /**
   * The failure the export function attached when it moved the message (core/dead-letter.ts);
   * undefined for a message the queue's redrive policy moved.
   */
  readonly reason: DeadLetterReason | undefined;
}

/** Options of {@link peekDeadLetters}. */
export interface PeekOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Stop after this many matching messages. @default 100 */
  readonly limit?: number;
  /** Only messages of this destination count toward the limit and are returned. */
  readonly destinationId?: string;
  /**
   * Seconds the peeked messages stay invisible while the queue is read, so each is seen once; they
   * are made visible again (visibility 0) as soon as the peek ends.
   * @default 30
   */
  readonly holdSeconds?: number;
  /**
   * Consecutive empty receives before the queue is taken as read to its end. Short polling (the
   * SQS emulator's long polling is unreliable, so WaitTimeSeconds is 0) may miss messages now and then.
   * @default 3
   */
  readonly emptyReceives?: number;
}

/** The result of {@link peekDeadLetters}. */
export interface PeekResult {
  readonly letters: DeadLetter[];
  /** Messages received in all (matching or not). */
  readonly scanned: number;
  /** True when the limit stopped the read before the end of the queue. */
  readonly truncated: boolean;
}

function groupBelongsTo(groupId: string | undefined, destinationId: string): boolean | undefined {
  // messageGroupIdFor() always starts the group with "<destinationId>:".
  return groupId === undefined ? undefined : groupId.startsWith(`${destinationId}:`);
}

/** A received message as a dead letter: its envelope when the body is one, else why not. */
export function toDeadLetter(m: Message): DeadLetter {
  const body = m.Body ?? '';
  let message: ExportMessage | undefined;
  let unreadable: string | undefined;
  try {
    const parsed = exportMessageSchema.safeParse(readExportMessage(body));
    if (parsed.success) message = parsed.data;
    else unreadable = `not an export message: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
  } catch {
    unreadable = 'body is not JSON';
  }
  const sent = Number(m.Attributes?.SentTimestamp);
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    groupId:
      m.Attributes?.MessageGroupId ??
      (message === undefined ? undefined : messageGroupIdFor(message.destinationId, message.profileId)),
    message,
    ...(unreadable === undefined ? {} : { unreadable }),
    body,
    sentAt: Number.isFinite(sent) && sent > 0 ? sent : undefined,
    reason: readDeadLetterReason(m.MessageAttributes),
  };
}

/** True when the letter belongs to `destinationId` (every letter when no destination is given). */
export function matches(letter: DeadLetter, destinationId: string | undefined): boolean {
  if (destinationId === undefined) return true;
  return groupBelongsTo(letter.groupId, destinationId) ?? letter.message?.destinationId === destinationId;
}

/**
 * Reads messages from a dead-letter queue without consuming them: each receive holds its messages
 * for `holdSeconds` so the next receive returns others, and every held message is released
 * (visibility 0) before returning, also on error. Receiving raises a DLQ message's receive count;
 * the DLQ has no redrive policy, so that is harmless, and a message moved back to the export
 * queue starts from zero there.
 * @throws the SDK's error (after releasing what was held).
 */
export async function peekDeadLetters(options: PeekOptions): Promise<PeekResult> {
  const { sqs, queueUrl } = options;
  const limit = options.limit ?? 100;
  const hold = options.holdSeconds ?? 30;
  const maxEmpty = options.emptyReceives ?? 3;
  const held: string[] = [];
  const seen = new Set<string>();
  const letters: DeadLetter[] = [];
  let scanned = 0;
  let empty = 0;
  let truncated = false;
  try {
    while (letters.length < limit && empty < maxEmpty) {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hold,
          WaitTimeSeconds: 0,
          // The SQS emulator reads only the older AttributeNames; AWS accepts both.
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          // The failure the export function attached (core/dead-letter.ts).
          MessageAttributeNames: ['All'],
        }),
      );
      const received = response.Messages ?? [];
      if (received.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      let repeated = false;
      for (const m of received) {
        if (m.ReceiptHandle !== undefined) held.push(m.ReceiptHandle);
        const id = m.MessageId ?? '';
        if (seen.has(id)) {
          // The hold ran out while reading: the queue has been read around once.
          repeated = true;
          continue;
        }
        seen.add(id);
        scanned += 1;
        const letter = toDeadLetter(m);
        if (!matches(letter, options.destinationId)) continue;
        if (letters.length >= limit) {
          truncated = true;
          continue;
        }
        letters.push(letter);
      }
      if (repeated) break;
      if (letters.length >= limit) truncated = true;
    }
  } finally {
    await release(sqs, queueUrl, held);
  }
  return { letters, scanned, truncated };
}
