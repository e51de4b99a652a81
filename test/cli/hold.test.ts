import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { HeldMessages } from '../../cli/dlq/hold.js';
import { waitFor } from '../../local/wait.js';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
});

const entriesOf = (i: number) =>
  sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[i]?.args[0].input.Entries;

describe('HeldMessages', () => {
  it('renews every held message before its hold runs out, and releases them at the end', async () => {
    const held = new HeldMessages({ sqs, queueUrl: 'q', holdSeconds: 30, renewEveryMs: 20 });
    held.add('h1');
    held.add('h2');
    held.add('h3');
    held.forget('h2');

    await waitFor(
      'two renewals',
      async () => sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).length >= 2,
      {
        timeoutMs: 2_000,
        intervalMs: 5,
      },
    );
    await held.releaseAll();

    expect(entriesOf(0)?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['h1', 30],
      ['h3', 30],
    ]);
    const calls = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand);
    expect(calls.at(-1)?.args[0].input.Entries?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['h1', 0],
      ['h3', 0],
    ]);
    expect(held.size).toBe(0);
  });

  it('tells when a renewal failed', async () => {
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });
    const failures: number[] = [];
    const held = new HeldMessages({
      sqs,
      queueUrl: 'q',
      holdSeconds: 30,
      renewEveryMs: 10,
      onRenewFailed: (n) => failures.push(n),
    });
    held.add('h1');

    await waitFor('a failed renewal', async () => failures.length > 0, { timeoutMs: 2_000, intervalMs: 5 });
    await held.releaseAll();

    expect(failures[0]).toBe(1);
  });
});
