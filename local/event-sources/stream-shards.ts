/**
 * Shard bookkeeping of the DynamoDB Streams mapping: the shards of a stream and their lineage (a
 * child is read only after its parent is done), each shard's iterator, checkpoint and records read
 * but not yet processed.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { EmulatorJsonClient } from './emulator-json.js';
import { sequenceOf, toLambdaRecord, type WireStreamRecord } from './stream-records.js';

/** A shard as DescribeStream lists it (the fields the runtime reads). */
export interface StreamShard {
  readonly ShardId?: string;
  readonly ParentShardId?: string;
}

/** The reader state of one shard. */
export interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** Last sequence number the handler finished (checkpoint). */
  checkpoint: string | undefined;
  iterator: string | undefined;
  /** Records read but not yet checkpointed, in order. */
  pending: DynamoDBRecord[];
  /** When the first pending record was read (batching window). */
  firstPendingAt: number | undefined;
  /** The shard has no more records (closed and read to its end). */
  ended: boolean;
  done: boolean;
  /**
   * Sizes of the batches still to retry on their own after a bisection or partial failure, next
   * first; empty = take up to batchSize pending records.
   */
  segments: number[];
  /** Invocations of the current batch head (reset when the checkpoint moves). */
  attempts: number;
  lastError: string | undefined;
  /** Completed GetRecords calls that returned nothing, since the last record. */
  emptyPolls: number;
  pollsCompleted: number;
  running: boolean;
}

/** A shard not read yet: from its trim horizon. */
export function newShardState(shardId: string, parentShardId: string | undefined): ShardState {
  return {
    shardId,
    parentShardId,
    checkpoint: undefined,
    iterator: undefined,
    pending: [],
    firstPendingAt: undefined,
    ended: false,
    done: false,
    segments: [],
    attempts: 0,
    lastError: undefined,
    emptyPolls: 0,
    pollsCompleted: 0,
    running: false,
  };
}

/**
 * Every shard of the stream, following DescribeStream's pages.
 * @throws EmulatorCallError, or the socket's error.
 */
export async function listShards(calls: EmulatorJsonClient, streamArn: string): Promise<StreamShard[]> {
  const shards: StreamShard[] = [];
  let exclusiveStartShardId: string | undefined;
  do {
    const { StreamDescription } = await calls.call<{
      StreamDescription?: { Shards?: StreamShard[]; LastEvaluatedShardId?: string };
    }>('DescribeStream', {
      StreamArn: streamArn,
      ...(exclusiveStartShardId && { ExclusiveStartShardId: exclusiveStartShardId }),
    });
    shards.push(...(StreamDescription?.Shards ?? []));
    exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStartShardId !== undefined);
  return shards;
}

/** Adds the shards not known yet to `known`. */
export function addNewShards(known: Map<string, ShardState>, shards: readonly StreamShard[]): void {
  for (const shard of shards) {
    if (shard.ShardId === undefined || known.has(shard.ShardId)) continue;
    known.set(shard.ShardId, newShardState(shard.ShardId, shard.ParentShardId));
  }
}

/**
 * The shards whose reader should start now: not running, not done, and without a parent that is
 * still being read — Lambda finishes a parent shard before it reads its children, to keep a key's
 * order.
 */
export function shardsToStart(known: ReadonlyMap<string, ShardState>): ShardState[] {
  const ready: ShardState[] = [];
  for (const state of known.values()) {
    if (state.running || state.done) continue;
    const parent = state.parentShardId === undefined ? undefined : known.get(state.parentShardId);
    if (parent !== undefined && !parent.done) continue;
    ready.push(state);
  }
  return ready;
}

/** What {@link readShard} reads with. */
export interface ShardReadContext {
  /** DynamoDB Local's streams API, answered as the wire's JSON (`emulator-json.ts`). */
  readonly calls: EmulatorJsonClient;
  readonly streamArn: string;
  readonly region: string;
  /** Reading pauses while this many records are pending. */
  readonly maxPending: number;
}

/**
 * One `GetRecords` call on a shard (opening an iterator at its checkpoint first when it has none):
 * appends what it read to `pending`, marks the shard ended when its iterator runs out.
 * @throws EmulatorCallError (an expired iterator…) or the socket's error (an emulator restart).
 */
export async function readShard(shard: ShardState, context: ShardReadContext): Promise<void> {
  if (shard.ended || shard.pending.length >= context.maxPending) return;
  if (shard.iterator === undefined) {
    const { ShardIterator } = await context.calls.call<{ ShardIterator?: string | null }>(
      'GetShardIterator',
      {
        StreamArn: context.streamArn,
        ShardId: shard.shardId,
        ...(shard.checkpoint === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.checkpoint }),
      },
    );
    shard.iterator = ShardIterator ?? undefined;
    if (shard.iterator === undefined) {
      shard.ended = true;
      return;
    }
  }
  const { Records, NextShardIterator } = await context.calls.call<{
    Records?: WireStreamRecord[];
    NextShardIterator?: string | null;
  }>('GetRecords', { ShardIterator: shard.iterator, Limit: 1000 });
  shard.pollsCompleted += 1;
  shard.iterator = NextShardIterator ?? undefined;
  if (shard.iterator === undefined) shard.ended = true;
  const records = (Records ?? []).map((r) => toLambdaRecord(r, context.streamArn, context.region));
  if (records.length === 0) {
    shard.emptyPolls += 1;
    return;
  }
  shard.emptyPolls = 0;
  if (shard.pending.length === 0) shard.firstPendingAt = Date.now();
  shard.pending.push(...records);
}

/** Forgets the iterator and what was read after the checkpoint: the next read starts again from it. */
export function rewindShard(shard: ShardState): void {
  shard.iterator = undefined;
  shard.pending = [];
  shard.segments = [];
  shard.firstPendingAt = undefined;
}

/** Checkpoints the first `count` pending records; the next batch head starts with fresh attempts. */
export function advanceShard(shard: ShardState, count: number): void {
  const consumed = shard.pending.splice(0, count);
  const last = consumed[consumed.length - 1];
  if (last !== undefined) shard.checkpoint = sequenceOf(last);
  shard.attempts = 0;
  shard.lastError = undefined;
  shard.firstPendingAt = shard.pending.length > 0 ? Date.now() : undefined;
}
