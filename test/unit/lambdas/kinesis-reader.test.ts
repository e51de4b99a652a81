import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DestinationRecord, tailStream } from '../../../adapters/kinesis-reader.js';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'us-east-1' });

/** A record of the stream's only shard, `n` in its data. */
function record(n: number) {
  return {
    SequenceNumber: String(n),
    PartitionKey: `p${n}`,
    ApproximateArrivalTimestamp: new Date(1_700_000_000_000 + n),
    Data: Buffer.from(JSON.stringify({ n })),
  };
}

/** Tails the stream until `records` are read, or 10 s pass; the GetRecords calls' times. */
async function tail(records: number, pollIntervalMs: number) {
  const read: DestinationRecord[] = [];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  for await (const r of tailStream(client, 'exports', { signal: abort.signal, pollIntervalMs })) {
    read.push(r);
    if (read.length >= records) break;
  }
  clearTimeout(timer);
  return read;
}

describe('tailStream, as a consumer sharing the shard with the downstream teams', () => {
  let calls: number[];
  beforeEach(() => {
    kinesis.reset();
    calls = [];
    kinesis.on(ListShardsCommand).resolves({ Shards: [{ ShardId: 'shardId-000' } as never] });
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
  });

  it('reads a shard at most once per interval while records keep coming (a shard takes five reads a second from all its consumers)', async () => {
    let n = 0;
    kinesis.on(GetRecordsCommand).callsFake(async () => {
      calls.push(Date.now());
      n += 1;
      return { Records: [record(n)], NextShardIterator: `it-${n}` };
    });

    const read = await tail(5, 100);

    expect(read.map((r) => (r.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
    const gaps = calls.slice(1).map((t, i) => t - (calls[i] as number));
    // Timers may fire a millisecond early; never a read right after the one before.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(95);
  });

  it('reads a shard at most once per interval when listing the shards takes time', async () => {
    kinesis.on(ListShardsCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      return { Shards: [{ ShardId: 'shardId-000' }] };
    });
    let n = 0;
    kinesis.on(GetRecordsCommand).callsFake(async () => {
      calls.push(Date.now());
      n += 1;
      return { Records: [record(n)], NextShardIterator: `it-${n}` };
    });

    await tail(3, 100);

    const gaps = calls.slice(1).map((t, i) => t - (calls[i] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(95);
  });

  it('backs off and goes on when its reads are throttled, instead of failing the tail', async () => {
    let n = 0;
    kinesis.on(GetRecordsCommand).callsFake(async () => {
      calls.push(Date.now());
      n += 1;
      if (n <= 2)
        throw new ProvisionedThroughputExceededException({
          message: 'Rate exceeded for shard',
          $metadata: {},
        });
      return { Records: [record(n)], NextShardIterator: `it-${n}` };
    });

    const read = await tail(1, 50);

    expect(read.map((r) => (r.data as { n: number }).n)).toEqual([3]);
    // The pause doubles after each throttled read: 100 ms, then 200 ms.
    expect((calls[1] as number) - (calls[0] as number)).toBeGreaterThanOrEqual(95);
    expect((calls[2] as number) - (calls[1] as number)).toBeGreaterThanOrEqual(195);
  });
});
