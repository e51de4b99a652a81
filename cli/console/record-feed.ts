/**
 * The records arriving in each destination stream, read server side with the project's Kinesis
 * reader and kept in memory (the newest few per destination) for the page: ids, reasons and times
 * in the list, the document only when the operator asks for one record. Nothing here logs a record.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { tailStream } from '../../adapters/kinesis-reader.js';
import { stringifyExact } from '../../core/json-text.js';
import type { DestinationFeed, RecordDocument, RecordSummary } from './api-types.js';
import type { SeenExport } from './pipeline-observer.js';

/** Records kept per destination for the page (the newest). */
const KEPT_PER_DESTINATION = 200;

/** Options of {@link RecordFeed}. */
export interface RecordFeedOptions {
  readonly kinesis: KinesisClient;
  readonly destinations: readonly { readonly id: string; readonly streamName: string }[];
  /** The export a record came from, to show its reasons and measure its latency. */
  readonly exportOf?: (
    destinationId: string,
    profileId: string,
    documentText: string,
  ) => SeenExport | undefined;
  /** Pause between reads of a stream. @default 200 */
  readonly pollIntervalMs?: number;
  /** Pause before reading a stream again after an error (e.g. it was deleted). @default 1000 */
  readonly retryMs?: number;
  readonly now?: () => number;
}

interface KeptRecord extends RecordSummary {
  readonly data: unknown;
}

interface Feed {
  readonly id: string;
  readonly streamName: string;
  total: number;
  readonly records: KeptRecord[];
  readonly seen: Set<string>;
  problem: string | undefined;
}

/**
 * Tails every destination stream from its start until {@link stop}. A stream that cannot be read
 * (deleted, not yet created) is retried every `retryMs`, and its problem is shown meanwhile; a record
 * read twice after a retry (same shard and sequence number) is counted once.
 */
export class RecordFeed {
  private readonly feeds: Feed[];
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[];
  private readonly now: () => number;

  constructor(private readonly options: RecordFeedOptions) {
    this.now = options.now ?? Date.now;
    this.feeds = options.destinations.map((d) => ({
      id: d.id,
      streamName: d.streamName,
      total: 0,
      records: [],
      seen: new Set<string>(),
      problem: undefined,
    }));
    this.loops = this.feeds.map((feed) => this.follow(feed));
  }

  private async follow(feed: Feed): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        for await (const record of tailStream(this.options.kinesis, feed.streamName, {
          fromStart: true,
          pollIntervalMs: this.options.pollIntervalMs ?? 200,
          signal,
        })) {
          feed.problem = undefined;
          this.keep(
            feed,
            record.shardId,
            record.sequenceNumber,
            record.partitionKey,
            record.text,
            record.data,
          );
        }
        feed.problem = undefined;
      } catch (error) {
        feed.problem = `stream ${feed.streamName} cannot be read: ${error instanceof Error ? error.name : 'error'}`;
        await sleep(this.options.retryMs ?? 1_000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private keep(
    feed: Feed,
    shardId: string,
    sequence: string,
    profileId: string,
    text: string,
    data: unknown,
  ) {
    const id = `${shardId}/${sequence}`;
    if (feed.seen.has(id)) return;
    feed.seen.add(id);
    const seenAt = this.now();
    const seen = this.options.exportOf?.(feed.id, profileId, text);
    feed.total += 1;
    feed.records.unshift({
      seq: feed.total,
      profileId,
      reasons: seen?.reasons ?? [],
      seenAt,
      bytes: Buffer.byteLength(text),
      data,
    });
    if (feed.records.length > KEPT_PER_DESTINATION) feed.records.pop();
  }

  /** Every destination's feed, newest records first, without documents. */
  view(limit = 50): DestinationFeed[] {
    return this.feeds.map((f) => ({
      id: f.id,
      streamName: f.streamName,
      total: f.total,
      records: f.records.slice(0, limit).map(({ data: _data, ...summary }) => summary),
      ...(f.problem === undefined ? {} : { problem: f.problem }),
    }));
  }

  /** One kept record's document (exact JSON text), or undefined when it is not (or no longer) kept. */
  document(destinationId: string, seq: number): RecordDocument | undefined {
    const record = this.feeds.find((f) => f.id === destinationId)?.records.find((r) => r.seq === seq);
    if (record === undefined) return undefined;
    return {
      profileId: record.profileId,
      documentText: typeof record.data === 'string' ? record.data : stringifyExact(record.data, 2),
    };
  }

  /** Stops reading; resolves when every stream's loop has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }
}
