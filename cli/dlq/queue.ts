/** Queue calls the `dlq` commands share: a queue's counts and identity, releasing held messages, a pause. */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A queue's ARN and its approximate counts. */
export interface QueueCounts {
  readonly arn: string;
  /** ApproximateNumberOfMessages: visible, ready to be received. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible: in flight, held by a reader (another `dlq` command, a redrive). */
  readonly inFlight: number;
  /** visible + inFlight */
  readonly depth: number;
}

/** The queue's ARN and its messages: visible and in flight. */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const visible = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  return { arn: Attributes?.QueueArn ?? '', visible, inFlight, depth: visible + inFlight };
}

/** The queue's ARN and its messages (visible + in flight). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ arn: string; depth: number }> {
  const { arn, depth } = await queueCounts(sqs, queueUrl);
  return { arn, depth };
}

/** A queue's ARN and where its redrive policy sends what it gives up on. */
export interface QueueRedriveTarget {
  readonly arn: string;
  /** `RedrivePolicy.deadLetterTargetArn`; undefined when the queue has no (readable) redrive policy. */
  readonly deadLetterTargetArn: string | undefined;
}

/**
 * Reads a queue's ARN and its redrive policy's dead-letter target.
 * @throws the SDK's error.
 */
export async function queueRedriveTarget(sqs: SQSClient, queueUrl: string): Promise<QueueRedriveTarget> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }),
  );
  let deadLetterTargetArn: string | undefined;
  try {
    const policy = JSON.parse(Attributes?.RedrivePolicy ?? 'null') as {
      deadLetterTargetArn?: unknown;
    } | null;
    if (typeof policy?.deadLetterTargetArn === 'string') deadLetterTargetArn = policy.deadLetterTargetArn;
  } catch {
    // Not JSON: no target can be read, which the pairing check reports.
  }
  return { arn: Attributes?.QueueArn ?? '', deadLetterTargetArn };
}

/** Makes held messages visible again at once. Best effort: a failed release only delays them. */
export async function release(sqs: SQSClient, queueUrl: string, handles: readonly string[]): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    const chunk = handles.slice(i, i + 10);
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      );
    } catch {
      // The hold expires by itself after holdSeconds.
    }
  }
}
