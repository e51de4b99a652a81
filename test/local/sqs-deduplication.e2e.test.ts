import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startSqs } from '../../local/emulators.js';

let sqs: SQSClient;
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startSqs();
  sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  sqs.destroy();
  await emulator.stop();
});

async function queue(name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true' } }),
  );
  if (QueueUrl === undefined) throw new Error('no queue url');
  return QueueUrl;
}
async function depth(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}
async function consumeAll(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return bodies;
    for (const m of Messages) {
      bodies.push(m.Body ?? '');
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

describe('the local SQS emulator deduplicates FIFO messages as AWS does', () => {
  it('drops a resend within five minutes even after the first copy was received and deleted', async () => {
    const url = await queue('dedup-after-delete.fifo');
    const first = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'a',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd-1',
      }),
    );
    expect(await consumeAll(url)).toEqual(['a']);

    const again = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'a',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd-1',
      }),
    );

    // Accepted, with the first copy's id, and not delivered again.
    expect(again.MessageId).toBe(first.MessageId);
    expect(await depth(url)).toBe(0);
  });

  it('forwards the new entries of a batch and answers the duplicates itself', async () => {
    const url = await queue('dedup-batch.fifo');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'old',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd-old',
      }),
    );
    await consumeAll(url);

    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: '0', MessageBody: 'old', MessageGroupId: 'g', MessageDeduplicationId: 'd-old' },
          { Id: '1', MessageBody: 'new', MessageGroupId: 'g', MessageDeduplicationId: 'd-new' },
        ],
      }),
    );

    expect(Failed).toEqual([]);
    expect(Successful.map((s) => s.Id).sort()).toEqual(['0', '1']);
    expect(await consumeAll(url)).toEqual(['new']);
  });

  it('keeps standard queues and ids it has not seen as they were', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'standard-queue' }));
    const url = QueueUrl ?? '';
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    expect((await consumeAll(url)).sort()).toEqual(['x', 'x']);
  });
});
