/**
 * The local emulators' own latencies, measured apart from the pipeline, for the capacity model's
 * local validation: a write until it is readable in DynamoDB Local's stream, one GetRecords call, and
 * an SQS FIFO message from SendMessage until a receive returns it. Also the fit of a function's
 * invocation time against its batch size (fixed part + part per record).
 */

import { DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { LocalStack } from '../local/stack.js';
import { median, round } from './stats.js';

/** The emulators' latencies, ms (medians). */
export interface LocalLatencies {
  /** PutItem acknowledged → the record returned by a GetRecords call (polling every 5 ms). */
  readonly streamLagMs: number;
  readonly getRecordsMs: number;
  /** SendMessage acknowledged → a ReceiveMessage returns it (polling every 5 ms). */
  readonly queueLatencyMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measures the latencies on `table` (which must have a stream) and a scratch FIFO queue. */
export async function probeLocalLatencies(
  stack: LocalStack,
  table: string,
  samples = 15,
): Promise<LocalLatencies> {
  const { dynamodb, dynamodbStreams: streams, sqs } = stack.clients;
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  const streamArn = Table?.LatestStreamArn ?? '';
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const open = (StreamDescription?.Shards ?? []).filter(
    (s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined,
  );
  const lags: number[] = [];
  const calls: number[] = [];
  for (let i = 0; i < samples; i++) {
    const iterators = await Promise.all(
      open.map(async (s) => {
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: s.ShardId,
            ShardIteratorType: 'LATEST',
          }),
        );
        return ShardIterator;
      }),
    );
    await dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { profileId: { S: `probe-${i}` }, n: { N: String(i) } } }),
    );
    const acked = performance.now();
    let cursor = [...iterators];
    for (let found = false; !found && performance.now() - acked < 5_000; ) {
      const next: (string | undefined)[] = [];
      for (const iterator of cursor) {
        if (iterator === undefined) continue;
        const started = performance.now();
        const { Records = [], NextShardIterator } = await streams.send(
          new GetRecordsCommand({ ShardIterator: iterator }),
        );
        calls.push(performance.now() - started);
        if (Records.some((r) => r.dynamodb?.Keys?.profileId?.S === `probe-${i}`)) found = true;
        next.push(NextShardIterator);
      }
      if (found) lags.push(performance.now() - acked);
      cursor = next;
      await pause(5);
    }
  }

  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `bench-probe-${Date.now()}.fifo`,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
    }),
  );
  const queue: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `probe ${i}`, MessageGroupId: `g${i}` }));
    const sent = performance.now();
    while (performance.now() - sent < 5_000) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }),
      );
      const message = Messages[0];
      if (message !== undefined) {
        queue.push(performance.now() - sent);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle ?? '' }));
        break;
      }
      await pause(5);
    }
  }
  return {
    streamLagMs: round(median(lags), 1),
    getRecordsMs: round(median(calls), 1),
    queueLatencyMs: round(median(queue), 1),
  };
}

/** A least-squares line through (batch size, invocation ms): fixed ms + ms per item, neither below 0. */
export function fitInvocations(
  sizes: readonly number[],
  ms: readonly number[],
): { fixedMs: number; perItemMs: number } {
  const n = Math.min(sizes.length, ms.length);
  if (n === 0) return { fixedMs: Number.NaN, perItemMs: Number.NaN };
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const x = sizes[i] as number;
    const y = ms[i] as number;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const denominator = n * sxx - sx * sx;
  const slope = denominator === 0 ? sy / Math.max(1, sx) : (n * sxy - sx * sy) / denominator;
  const perItemMs = Math.max(0, slope);
  const fixedMs = Math.max(0, (sy - perItemMs * sx) / n);
  return { fixedMs: round(fixedMs, 2), perItemMs: round(perItemMs, 3) };
}
