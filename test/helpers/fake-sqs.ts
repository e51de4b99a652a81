/**
 * A small in-memory SQS for the `dlq` commands' unit tests, installed on an aws-sdk-client-mock
 * mock: queues with visibility timeouts (a received message is hidden until its hold runs out, is
 * released or deleted), redrive policies, SendMessageBatch, DeleteMessageBatch,
 * ChangeMessageVisibilityBatch and a move task that moves every visible message at once.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { AwsStub } from 'aws-sdk-client-mock';

interface Stored {
  readonly id: string;
  readonly body: string;
  readonly groupId: string | undefined;
  readonly attributes: Record<string, MessageAttributeValue> | undefined;
  invisibleUntil: number;
  handle: string;
}

/** One fake queue. */
export class FakeQueue {
  readonly messages: Stored[] = [];
  constructor(
    readonly url: string,
    readonly arn: string,
    readonly deadLetterTargetArn?: string,
  ) {}

  /** Adds a message as SendMessage would; returns its id. */
  put(body: string, groupId?: string, attributes?: Record<string, MessageAttributeValue>): string {
    const id = `msg-${this.arn.split(':').at(-1)}-${this.messages.length + 1}-${Math.random().toString(36).slice(2, 8)}`;
    this.messages.push({ id, body, groupId, attributes, invisibleUntil: 0, handle: '' });
    return id;
  }

  /** Hides messages as another reader's receive would (`count` first visible ones, for `ms`). */
  holdByAnotherReader(count: number, ms = 600_000): void {
    for (const m of this.messages.filter((x) => x.invisibleUntil <= Date.now()).slice(0, count)) {
      m.invisibleUntil = Date.now() + ms;
      m.handle = `other-${m.id}`;
    }
  }

  visible(): Stored[] {
    return this.messages.filter((m) => m.invisibleUntil <= Date.now());
  }
}

/** Options of {@link installFakeSqs}. */
export interface FakeSqsOptions {
  /** SendMessageBatch refuses entries whose body contains one of these texts. */
  readonly refuseBodiesWith?: readonly string[];
  /** At most this many messages per receive (AWS may return fewer than asked). @default 10 */
  readonly maxPerReceive?: number;
}

/** Installs the fake on a mocked SQSClient; returns the queues by URL. */
export function installFakeSqs(
  // biome-ignore lint/suspicious/noExplicitAny: the mock of any SQS client (mockClient(SQSClient)).
  mock: AwsStub<any, any, SQSClient['config']>,
  queues: readonly FakeQueue[],
  options: FakeSqsOptions = {},
): Map<string, FakeQueue> {
  const byUrl = new Map(queues.map((q) => [q.url, q]));
  const byArn = new Map(queues.map((q) => [q.arn, q]));
  const queue = (url: string | undefined) => {
    const q = byUrl.get(url ?? '');
    if (q === undefined) throw Object.assign(new Error(`no queue ${url}`), { name: 'QueueDoesNotExist' });
    return q;
  };
  let handles = 0;
  let lastTask: { moved: number; toMove: number } | undefined;
  mock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl?: string }) => {
    const q = queue(input.QueueUrl);
    return {
      Attributes: {
        QueueArn: q.arn,
        ApproximateNumberOfMessages: String(q.visible().length),
        ApproximateNumberOfMessagesNotVisible: String(q.messages.length - q.visible().length),
        ...(q.deadLetterTargetArn === undefined
          ? {}
          : {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: q.deadLetterTargetArn,
                maxReceiveCount: 31,
              }),
            }),
      },
    };
  });
  mock
    .on(ReceiveMessageCommand)
    .callsFake((input: { QueueUrl?: string; MaxNumberOfMessages?: number; VisibilityTimeout?: number }) => {
      const q = queue(input.QueueUrl);
      const taken = q
        .visible()
        .slice(0, Math.min(input.MaxNumberOfMessages ?? 1, options.maxPerReceive ?? 10));
      const Messages: Message[] = taken.map((m) => {
        handles += 1;
        m.handle = `handle-${handles}`;
        m.invisibleUntil = Date.now() + (input.VisibilityTimeout ?? 30) * 1000;
        return {
          MessageId: m.id,
          ReceiptHandle: m.handle,
          Body: m.body,
          Attributes: {
            ...(m.groupId === undefined ? {} : { MessageGroupId: m.groupId }),
            SentTimestamp: '1',
          },
          ...(m.attributes === undefined ? {} : { MessageAttributes: m.attributes }),
        };
      });
      return Messages.length === 0 ? {} : { Messages };
    });
  mock
    .on(ChangeMessageVisibilityBatchCommand)
    .callsFake(
      (input: {
        QueueUrl?: string;
        Entries?: { Id?: string; ReceiptHandle?: string; VisibilityTimeout?: number }[];
      }) => {
        const q = queue(input.QueueUrl);
        const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
        for (const e of input.Entries ?? []) {
          const m = q.messages.find((x) => x.handle === e.ReceiptHandle);
          if (m === undefined)
            Failed.push({ Id: e.Id ?? '', Code: 'ReceiptHandleIsInvalid', SenderFault: true });
          else m.invisibleUntil = Date.now() + (e.VisibilityTimeout ?? 0) * 1000;
        }
        return { Successful: [], Failed };
      },
    );
  mock
    .on(DeleteMessageBatchCommand)
    .callsFake((input: { QueueUrl?: string; Entries?: { Id?: string; ReceiptHandle?: string }[] }) => {
      const q = queue(input.QueueUrl);
      for (const e of input.Entries ?? []) {
        const i = q.messages.findIndex((x) => x.handle === e.ReceiptHandle);
        if (i >= 0) q.messages.splice(i, 1);
      }
      return { Successful: [], Failed: [] };
    });
  mock.on(DeleteMessageCommand).callsFake((input: { QueueUrl?: string; ReceiptHandle?: string }) => {
    const q = queue(input.QueueUrl);
    const i = q.messages.findIndex((x) => x.handle === input.ReceiptHandle);
    if (i >= 0) q.messages.splice(i, 1);
    return {};
  });
  mock.on(SendMessageBatchCommand).callsFake(
    (input: {
      QueueUrl?: string;
      Entries?: {
        Id?: string;
        MessageBody?: string;
        MessageGroupId?: string;
        MessageAttributes?: Record<string, MessageAttributeValue>;
      }[];
    }) => {
      const q = queue(input.QueueUrl);
      const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
      for (const e of input.Entries ?? []) {
        if ((options.refuseBodiesWith ?? []).some((t) => (e.MessageBody ?? '').includes(t)))
          Failed.push({ Id: e.Id ?? '', Code: 'InternalError', SenderFault: false });
        else q.put(e.MessageBody ?? '', e.MessageGroupId, e.MessageAttributes);
      }
      return { Successful: [], Failed };
    },
  );
  mock.on(StartMessageMoveTaskCommand).callsFake((input: { SourceArn?: string; DestinationArn?: string }) => {
    const from = byArn.get(input.SourceArn ?? '');
    const to = byArn.get(input.DestinationArn ?? '');
    if (from === undefined || to === undefined) throw new Error('no such queue');
    const toMove = from.messages.length;
    const moving = from.visible();
    for (const m of moving) {
      from.messages.splice(from.messages.indexOf(m), 1);
      to.put(m.body, m.groupId, m.attributes);
    }
    lastTask = { moved: moving.length, toMove };
    return { TaskHandle: 'task-1' };
  });
  mock.on(ListMessageMoveTasksCommand).callsFake(() => ({
    Results:
      lastTask === undefined
        ? []
        : [
            {
              Status: 'COMPLETED',
              StartedTimestamp: 42,
              ApproximateNumberOfMessagesMoved: lastTask.moved,
              ApproximateNumberOfMessagesToMove: lastTask.toMove,
            },
          ],
  }));
  return byUrl;
}
