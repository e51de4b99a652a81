/**
 * Reads a destination stream's records: every shard, from its start or from now. Used by the
 * `tail` command, the demo and the end-to-end tests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { parseJson } from '../core/json-text.js';

/** One record of a destination stream, as `tail` prints it. */
export interface DestinationRecord {
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
  /** Kinesis ApproximateArrivalTimestamp in epoch ms. */
  readonly arrivedAt: number;
  /** The record's data parsed as JSON, numbers exact (`parseJson`); the raw text when it is not JSON. */
  readonly data: unknown;
  /** The record's data as UTF-8 text, exactly as the stream holds it. */
  readonly text: string;
}

/** Options of {@link tailStream}. */
export interface TailStreamOptions {
  /** Read each shard from its oldest record instead of from now. @default false */
  readonly fromStart?: boolean;
  /**
   * Each shard is read at most once per interval, records or not. A shard takes five reads a second
   * from all its consumers together (GetRecords, Kinesis API Reference), so a tail that read again
   * as soon as records came would take the downstream consumers' share and be throttled itself; one
   * second is the pace of Lambda's Kinesis poller and of the KCL. @default 1000
   */
  readonly pollIntervalMs?: number;
  /** Stops the tail; the generator then returns. */
  readonly signal?: AbortSignal;
}

function decode(bytes: Uint8Array | undefined): { data: unknown; text: string } {
  const text = Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
  try {
    return { data: parseJson(text), text };
  } catch {
    return { data: text, text };
  }
}

async function listShardIds(client: KinesisClient, streamName: string): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListShardsCommand(nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken }),
    );
    for (const shard of page.Shards ?? []) if (shard.ShardId !== undefined) ids.push(shard.ShardId);
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return ids;
}

/** Longest pause after throttled reads. */
const MAX_THROTTLED_PAUSE_MS = 10_000;

/**
 * Yields the stream's records as they arrive, shard by shard in round-robin, until `signal` aborts.
 * Shards created later (resharding) are picked up.
 * @throws the SDK's error (e.g. ResourceNotFoundException for an unknown stream).
 */
export async function* tailStream(
  client: KinesisClient,
  streamName: string,
  options: TailStreamOptions = {},
): AsyncGenerator<DestinationRecord> {
  const iterators = new Map<string, string | undefined>();
  const lastSequence = new Map<string, string>();
  const startType = options.fromStart ? 'TRIM_HORIZON' : 'LATEST';
  let lastListing = 0;
  let firstListing = true;
  const interval = options.pollIntervalMs ?? 1_000;
  /** Doubles on each throttled read (another consumer took the shard's reads), back to `interval` after one that passes. */
  let pause = interval;
  while (!options.signal?.aborted) {
    if (Date.now() - lastListing > 5_000) {
      lastListing = Date.now();
      for (const shardId of await listShardIds(client, streamName)) {
        if (iterators.has(shardId)) continue;
        const { ShardIterator } = await client.send(
          new GetShardIteratorCommand({
            StreamName: streamName,
            ShardId: shardId,
            // Shards found after the tail started are read from their start: they are new.
            ShardIteratorType: firstListing ? startType : 'TRIM_HORIZON',
          }),
        );
        iterators.set(shardId, ShardIterator);
      }
      firstListing = false;
    }
    // The round starts at its first read, after any listing: timed from before the listing, the read
    // after it would follow the previous read by less than the interval.
    const roundStarted = Date.now();
    let throttled = false;
    for (const [shardId, iterator] of iterators) {
      if (iterator === undefined || options.signal?.aborted) continue;
      let response: GetRecordsCommandOutput;
      try {
        response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      } catch (error) {
        if (error instanceof ProvisionedThroughputExceededException) {
          throttled = true;
          continue;
        }
        if (!(error instanceof ExpiredIteratorException)) throw error;
        const after = lastSequence.get(shardId);
        const { ShardIterator } = await client.send(
          new GetShardIteratorCommand({
            StreamName: streamName,
            ShardId: shardId,
            ...(after === undefined
              ? { ShardIteratorType: startType }
              : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }),
          }),
        );
        iterators.set(shardId, ShardIterator);
        continue;
      }
      iterators.set(shardId, response.NextShardIterator);
      for (const record of response.Records ?? []) {
        if (record.SequenceNumber !== undefined) lastSequence.set(shardId, record.SequenceNumber);
        yield {
          partitionKey: record.PartitionKey ?? '',
          sequenceNumber: record.SequenceNumber ?? '',
          shardId,
          arrivedAt: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
          ...decode(record.Data),
        };
      }
    }
    pause = throttled ? Math.min(pause * 2, MAX_THROTTLED_PAUSE_MS) : interval;
    const wait = throttled ? pause : interval - (Date.now() - roundStarted);
    if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

/**
 * Reads every record currently in the stream (all shards, from their start), in arrival order per
 * shard.
 */
export async function readAllRecords(
  client: KinesisClient,
  streamName: string,
): Promise<DestinationRecord[]> {
  const records: DestinationRecord[] = [];
  for (const shardId of await listShardIds(client, streamName)) {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator !== undefined) {
      const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of response.Records ?? []) {
        records.push({
          partitionKey: record.PartitionKey ?? '',
          sequenceNumber: record.SequenceNumber ?? '',
          shardId,
          arrivedAt: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
          ...decode(record.Data),
        });
      }
      // An open shard always returns a next iterator: stop at the first empty page.
      if ((response.Records ?? []).length === 0) break;
      iterator = response.NextShardIterator;
    }
  }
  return records;
}
