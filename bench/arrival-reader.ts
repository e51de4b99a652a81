/**
 * The end-to-end bench's reader of the exports stream: when did write n's export arrive?
 *
 * It stands where a downstream consumer stands, but it shares the pipeline's thread and cores, so
 * what it costs is counted against the pipeline it measures. The product's reader (`tailStream`,
 * adapters/kinesis-reader.ts) decodes every record the SDK's way and parses every document with exact
 * numbers: about 6 % of the pipeline thread's CPU at 450-500 writes/s, for two fields. This one asks
 * kinesalite for plain JSON (no SDK deserializer) and reads only the arrival time and the bench's own
 * token from each record's bytes. Emulators only: it sends no signature.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { EmulatorJsonClient } from '../local/event-sources/emulator-json.js';

/** One export of a bench write: the write's number within its step, and when Kinesis took it. */
export interface Arrival {
  readonly n: number;
  /** ApproximateArrivalTimestamp, epoch ms. */
  readonly arrivedAt: number;
}

interface WireRecord {
  readonly Data: string;
  /** Epoch seconds, with a fraction. */
  readonly ApproximateArrivalTimestamp: number;
}

/**
 * Reads every shard of `streamName` from its latest record on, each at most once per
 * `pollIntervalMs`, and yields the arrivals of the records that carry the bench address
 * `${prefix}<n>@bench.example.com`; other records are skipped. Resolves `ready` once every shard has
 * its iterator (writes after that are seen). Ends when `signal` aborts.
 * @throws EmulatorCallError when kinesalite refuses a call.
 */
export function readArrivals(
  client: KinesisClient,
  streamName: string,
  options: { readonly prefix: string; readonly pollIntervalMs: number; readonly signal: AbortSignal },
): { ready: Promise<void>; arrivals: AsyncGenerator<Arrival> } {
  const calls = EmulatorJsonClient.of(client, 'kinesis', 'Kinesis_20131202', 'application/x-amz-json-1.1');
  const token = new RegExp(`"${options.prefix.replace(/[^\w-]/g, '\\$&')}(\\d+)@bench\\.example\\.com"`);
  let markReady: () => void = () => undefined;
  let failReady: (error: unknown) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined);

  async function* arrivals(): AsyncGenerator<Arrival> {
    const iterators = new Map<string, string>();
    try {
      const { Shards } = await calls.call<{ Shards?: { ShardId: string }[] }>('ListShards', {
        StreamName: streamName,
      });
      for (const { ShardId } of Shards ?? []) {
        const { ShardIterator } = await calls.call<{ ShardIterator: string }>('GetShardIterator', {
          StreamName: streamName,
          ShardId,
          ShardIteratorType: 'LATEST',
        });
        iterators.set(ShardId, ShardIterator);
      }
      markReady();
    } catch (error) {
      failReady(error);
      throw error;
    }
    try {
      while (!options.signal.aborted) {
        const started = Date.now();
        for (const [shardId, iterator] of iterators) {
          const { Records, NextShardIterator } = await calls.call<{
            Records: WireRecord[];
            NextShardIterator: string;
          }>('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
          iterators.set(shardId, NextShardIterator);
          for (const record of Records) {
            const found = token.exec(Buffer.from(record.Data, 'base64').toString('utf8'));
            if (found !== null)
              yield { n: Number(found[1]), arrivedAt: Math.round(record.ApproximateArrivalTimestamp * 1000) };
          }
        }
        const wait = options.pollIntervalMs - (Date.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      calls.destroy();
    }
  }
  return { ready, arrivals: arrivals() };
}
