/**
 * The end-to-end bench's lean reader of the exports stream (bench/arrival-reader.ts) on kinesalite:
 * it must see every export of a step, on every shard, with Kinesis's arrival time — or the bench's
 * delivered counts and latencies are wrong.
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Arrival, readArrivals } from '../../bench/arrival-reader.js';
import { waitFor } from '../../local/wait.js';
import { type Kinesalite, kinesisClient, startKinesalite } from '../faults/emulators.js';

const STREAM = 'bench-arrivals';
let kinesalite: Kinesalite;
let kinesis: KinesisClient;

beforeAll(async () => {
  kinesalite = await startKinesalite();
  kinesis = kinesisClient(kinesalite.url, { maxAttempts: 1 });
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 3 }));
  await waitFor('stream ACTIVE', async () => {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: STREAM }));
    return StreamDescription?.StreamStatus === 'ACTIVE';
  });
});

afterAll(async () => {
  kinesis?.destroy();
  await kinesalite?.close();
});

/** An export document as the pipeline writes it, for bench address `${token}@bench.example.com`. */
const exportOf = (token: string, profileId: string) => ({
  Data: Buffer.from(
    JSON.stringify({ person: { name: 'x' }, personalEmail: { address: `${token}@bench.example.com` } }),
  ),
  PartitionKey: profileId,
});

describe('the bench reader of the exports stream', () => {
  it("yields every arrival of its step's writes, on every shard, from after it is ready", async () => {
    await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: [exportOf('s4-999', 'p-0')] }));
    const abort = new AbortController();
    const { ready, arrivals } = readArrivals(kinesis, STREAM, {
      prefix: 's4-',
      pollIntervalMs: 20,
      signal: abort.signal,
    });
    const seen: Arrival[] = [];
    const reading = (async () => {
      for await (const arrival of arrivals) seen.push(arrival);
    })();
    await ready;
    const before = Date.now();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          ...Array.from({ length: 30 }, (_, n) => exportOf(`s4-${n}`, `p-${n}`)),
          // Another step's write, and a profile address that is not the bench's.
          exportOf('s14-1', 'p-1'),
          { Data: Buffer.from('{"personalEmail":{"address":"s4-7@example.com"}}'), PartitionKey: 'p-7' },
        ],
      }),
    );
    await waitFor('30 arrivals', async () => seen.length >= 30);
    abort.abort();
    await reading;

    expect(seen.map((a) => a.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    for (const { arrivedAt } of seen) {
      expect(arrivedAt).toBeGreaterThanOrEqual(before - 1_000);
      expect(arrivedAt).toBeLessThanOrEqual(Date.now());
    }
  });

  it('fails its ready promise, not silently, when the stream does not exist', async () => {
    const { ready, arrivals } = readArrivals(kinesis, 'no-such-stream', {
      prefix: 's1-',
      pollIntervalMs: 20,
      signal: new AbortController().signal,
    });
    const reading = arrivals.next();

    await expect(ready).rejects.toThrow(/ResourceNotFound|not found/i);
    await expect(reading).rejects.toThrow();
  });
});
