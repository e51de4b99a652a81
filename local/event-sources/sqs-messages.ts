/**
 * SQS messages as the export mapping tracks them, their Lambda event records, and the reading of
 * a handler's `batchItemFailures` report. No I/O.
 */
import type { SQSRecord } from 'aws-lambda';

/** A received message as the wire carries it (attribute binaries as base64 text, as Lambda's event). */
export interface WireMessage {
  readonly MessageId?: string;
  readonly ReceiptHandle?: string;
  readonly MD5OfBody?: string;
  readonly Body?: string;
  readonly Attributes?: Record<string, string>;
  readonly MessageAttributes?: Record<string, unknown>;
}

/** A received message the mapping holds or runs. */
export interface LocalMessage {
  readonly messageId: string;
  /** The FIFO message group; on a standard queue, the message's own id (no ordering). */
  readonly groupId: string;
  readonly sequence: string;
  receiptHandle: string;
  receiveCount: number;
  /** Epoch ms when the message becomes visible again in the queue unless extended or deleted. */
  visibleAt: number;
  record: SQSRecord;
}

/** The queue a message came from. */
export interface SourceQueue {
  readonly fifo: boolean;
  readonly queueArn: string;
  readonly region: string;
}

/** The digits local-aws-sqs gives a FIFO sequence number (before its slip, see {@link groupOrderOf}). */
const EMULATOR_SEQUENCE_DIGITS = 20;

/**
 * A FIFO message's place in its group, comparable with `compareSequence`. local-aws-sqs writes a
 * group's n-th sequence number as `String(n).padStart(21 − digits(n), groupSeed).slice(0, 20)`: the
 * 10th message's number is one digit shorter than the 9th's (and the 100th's shorter again), so
 * compared as numbers the 10th would come first — a group of more than nine messages would run out
 * of order. Its count is the number's last `21 − length` digits; within a group (one seed) the count
 * alone orders the messages, and it is written with a fixed width here.
 */
export function groupOrderOf(sequenceNumber: string): string {
  const digits = EMULATOR_SEQUENCE_DIGITS + 1 - sequenceNumber.length;
  if (!/^\d+$/.test(sequenceNumber) || digits < 1 || digits > sequenceNumber.length) return sequenceNumber;
  return sequenceNumber.slice(sequenceNumber.length - digits).padStart(EMULATOR_SEQUENCE_DIGITS, '0');
}

/** A received message with its Lambda record; it stays invisible until `visibleAt`. */
export function toLocalMessage(message: WireMessage, queue: SourceQueue, visibleAt: number): LocalMessage {
  const attributes = message.Attributes ?? {};
  const messageId = message.MessageId ?? '';
  const groupId = queue.fifo ? (attributes.MessageGroupId ?? messageId) : messageId;
  const record: SQSRecord = {
    messageId,
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecord['attributes'],
    messageAttributes: (message.MessageAttributes ?? {}) as unknown as SQSRecord['messageAttributes'],
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.queueArn,
    awsRegion: queue.region,
  };
  return {
    messageId,
    groupId,
    sequence:
      attributes.SequenceNumber === undefined
        ? String(attributes.SentTimestamp ?? '0')
        : groupOrderOf(attributes.SequenceNumber),
    receiptHandle: message.ReceiptHandle ?? '',
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
    visibleAt,
    record,
  };
}

/** The failed message ids, or undefined when the response is malformed (Lambda fails the batch). */
export function failuresFrom(response: unknown, batch: readonly LocalMessage[]): Set<string> | undefined {
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

/** Splits `items` into runs of at most `size` (SQS batch calls take 10 entries). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
