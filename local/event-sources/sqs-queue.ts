/**
 * The SQS calls of the export mapping: read the queue's settings, receive, delete, extend a
 * message's visibility. The calls made for every message go through {@link EmulatorJsonClient}
 * (the wire's JSON, without the SDK's deserializer).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EmulatorJsonClient } from './emulator-json.js';
import { describeError } from './invoke.js';
import { chunk, type LocalMessage, type WireMessage } from './sqs-messages.js';

/** A batch call's failed entries. */
interface BatchAnswer {
  readonly Failed?: readonly { readonly Id?: string; readonly Code?: string; readonly Message?: string }[];
}

/** What the mapping needs to know about its queue. */
export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  readonly fifo: boolean;
  readonly queueArn: string;
  /** The redrive policy's `maxReceiveCount`; `undefined` without a dead-letter queue. */
  readonly maxReceiveCount: number | undefined;
}

/**
 * Reads the queue's visibility timeout, FIFO flag, ARN and redrive policy.
 * @throws the SDK's error when the queue does not exist.
 */
export async function readQueueSettings(sqs: SQSClient, queueUrl: string): Promise<QueueSettings> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['VisibilityTimeout', 'RedrivePolicy', 'FifoQueue', 'QueueArn'],
    }),
  );
  let maxReceiveCount: number | undefined;
  if (Attributes.RedrivePolicy) {
    const policy = JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: number | string };
    if (policy.maxReceiveCount !== undefined) maxReceiveCount = Number(policy.maxReceiveCount);
  }
  return {
    visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
    fifo: Attributes.FifoQueue === 'true',
    queueArn: Attributes.QueueArn ?? '',
    maxReceiveCount,
  };
}

/**
 * One short poll (`WaitTimeSeconds` 0: a long poll of local-aws-sqs can return one message several
 * times in one answer) of up to 10 messages with all their attributes.
 * @throws EmulatorCallError, or the socket's error.
 */
export async function receiveMessages(calls: EmulatorJsonClient, queueUrl: string): Promise<WireMessage[]> {
  const { Messages = [] } = await calls.call<{ Messages?: WireMessage[] }>('ReceiveMessage', {
    QueueUrl: queueUrl,
    MaxNumberOfMessages: 10,
    WaitTimeSeconds: 0,
    AttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'],
    MessageAttributeNames: ['All'],
  });
  return Messages;
}

/**
 * Deletes messages, ten at a time, retrying a call that fails (the emulator is restarting: a
 * success must still be deleted, or it runs again) up to 20 times. Never throws; every failure is
 * reported through `onError`.
 */
export async function deleteMessages(
  calls: EmulatorJsonClient,
  queueUrl: string,
  messages: readonly LocalMessage[],
  onError: (error: string) => void,
): Promise<void> {
  for (const part of chunk(messages, 10)) {
    for (let attempt = 1; ; attempt++) {
      try {
        const { Failed = [] } = await calls.call<BatchAnswer>('DeleteMessageBatch', {
          QueueUrl: queueUrl,
          Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
        });
        for (const failure of Failed) onError(`DeleteMessage: ${failure.Code}: ${failure.Message}`);
        break;
      } catch (error) {
        onError(`DeleteMessageBatch: ${describeError(error)}`);
        if (attempt >= 20) break;
        await sleep(Math.min(100 * attempt, 1_000));
      }
    }
  }
}

/**
 * Makes messages invisible for `seconds` from now, ten at a time, and moves their `visibleAt`.
 * `onRefused` receives each message whose handle was refused (purged, moved, or visible again and
 * received elsewhere) as soon as its call answered, `onExtended` each one extended.
 * @throws EmulatorCallError, or the socket's error.
 */
export async function extendVisibility(
  calls: EmulatorJsonClient,
  queueUrl: string,
  messages: readonly LocalMessage[],
  seconds: number,
  onRefused: (message: LocalMessage) => void,
  onExtended: (message: LocalMessage) => void = () => undefined,
): Promise<void> {
  for (const part of chunk(messages, 10)) {
    const sentAt = Date.now();
    const { Failed = [] } = await calls.call<BatchAnswer>('ChangeMessageVisibilityBatch', {
      QueueUrl: queueUrl,
      Entries: part.map((m, i) => ({
        Id: String(i),
        ReceiptHandle: m.receiptHandle,
        VisibilityTimeout: seconds,
      })),
    });
    const failed = new Set(Failed.map((f) => Number(f.Id)));
    part.forEach((message, i) => {
      if (failed.has(i)) onRefused(message);
      else {
        message.visibleAt = sentAt + seconds * 1000;
        onExtended(message);
      }
    });
  }
}
