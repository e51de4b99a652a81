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
import { HeldMessages } from './hold.js';

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

/** One receive of the DLQ, with every attribute `dlq` reads. */
export function receiveDeadLetters(queueUrl: string, holdSeconds: number): ReceiveMessageCommand {
  return new ReceiveMessageCommand({
    QueueUrl: queueUrl,
    MaxNumberOfMessages: 10,
    VisibilityTimeout: holdSeconds,
    WaitTimeSeconds: 0,
    // The SQS emulator reads only the older AttributeNames; AWS accepts both.
    AttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'],
    // The failure the export function attached (core/dead-letter.ts).
    MessageAttributeNames: ['All'],
  });
}

/** Options of {@link scanDeadLetters}. */
export type ScanOptions = Omit<PeekOptions, 'limit' | 'destinationId'>;

/**
 * Reads every visible message of a dead-letter queue once, without consuming it: each receive holds
 * its messages, the holds are renewed while the read goes on (`hold.ts`), and every held message is
 * released (visibility 0) before returning, also on error. `visit` returns false to stop early.
 * Messages another reader holds (in flight) are not seen. Receiving raises a DLQ message's receive
 * count; the DLQ has no redrive policy, so that is harmless, and a message moved back to the export
 * queue starts from zero there.
 * @returns how many messages were read.
 * @throws the SDK's error (after releasing what was held).
 */
export async function scanDeadLetters(
  options: ScanOptions,
  visit: (letter: DeadLetter) => boolean | undefined,
): Promise<number> {
  const { sqs, queueUrl } = options;
  const hold = options.holdSeconds ?? 30;
  const maxEmpty = options.emptyReceives ?? 3;
  const held = new HeldMessages({ sqs, queueUrl, holdSeconds: hold });
  const seen = new Set<string>();
  let empty = 0;
  try {
    while (empty < maxEmpty) {
      const received = (await sqs.send(receiveDeadLetters(queueUrl, hold))).Messages ?? [];
      if (received.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      for (const m of received) {
        held.add(m.ReceiptHandle);
        const id = m.MessageId ?? '';
        // Seen again: a hold ran out although it was renewed (a renewal failed); read on.
        if (seen.has(id)) continue;
        seen.add(id);
        if (visit(toDeadLetter(m)) === false) return seen.size;
      }
    }
  } finally {
    await held.releaseAll();
  }
  return seen.size;
}

/**
 * Reads messages from a dead-letter queue without consuming them (see {@link scanDeadLetters}),
 * up to `limit` of the destination's.
 * @throws the SDK's error (after releasing what was held).
 */
export async function peekDeadLetters(options: PeekOptions): Promise<PeekResult> {
  const limit = options.limit ?? 100;
  const letters: DeadLetter[] = [];
  let truncated = false;
  const scanned = await scanDeadLetters(options, (letter) => {
    if (!matches(letter, options.destinationId)) return true;
    if (letters.length >= limit) {
      truncated = true;
      return false;
    }
    letters.push(letter);
    return true;
  });
  return { letters, scanned, truncated };
}

/** True when retrying cannot help: the export function said so (`Retryable=false`), or it is no export. */
export function isNonRetryable(letter: DeadLetter): boolean {
  return letter.message === undefined || letter.reason?.retryable === false;
}
