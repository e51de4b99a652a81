/**
 * The parallelization factor of the DynamoDB Streams mapping: a shard's records are split over
 * `factor` lanes by item (partition and sort key), each lane batched, invoked, retried and
 * checkpointed on its own — "Lambda still ensures in-order processing at the item (partition and
 * sort key) level" (AWS Lambda DG, "Using AWS Lambda with Amazon DynamoDB"). With a factor of 1 a
 * shard has one lane and keeps the order of the whole shard. No I/O.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { sequenceOf } from './stream-records.js';
import { newShardState, type ShardState } from './stream-shards.js';

/** A lane: the batch state of a share of a shard's items (the shard's id, its own pending records). */
export type StreamLane = ShardState;

/** `factor` empty lanes of a shard. */
export function newLanes(shardId: string, factor: number): StreamLane[] {
  return Array.from({ length: Math.max(1, factor) }, () => newShardState(shardId, undefined));
}

/** FNV-1a of a string: a stable spread of item keys over lanes. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The lane of a record: every record of one item goes to the same lane. */
export function laneOf(record: DynamoDBRecord, factor: number): number {
  if (factor <= 1) return 0;
  const keys = record.dynamodb?.Keys ?? {};
  const text = Object.keys(keys)
    .sort()
    .map((name) => `${name}=${JSON.stringify(keys[name])}`)
    .join('\u0000');
  return hash(text) % factor;
}

/**
 * Moves what the reader read into the lanes, in order. The reader remembers the last record read
 * (`checkpoint`), where it reopens its iterator after an error; when the reader has read its shard to
 * the end, so have the lanes.
 */
export function distribute(reader: ShardState, lanes: readonly StreamLane[], now = Date.now()): void {
  const records: DynamoDBRecord[] = reader.pending.splice(0);
  for (const record of records) {
    const lane = lanes[laneOf(record, lanes.length)] as StreamLane;
    if (lane.pending.length === 0) lane.firstPendingAt = now;
    lane.pending.push(record);
  }
  const last = records[records.length - 1];
  if (last !== undefined) reader.checkpoint = sequenceOf(last);
  if (reader.ended) for (const lane of lanes) lane.ended = true;
}

/** Records waiting in the lanes. */
export function pendingIn(lanes: readonly StreamLane[]): number {
  let total = 0;
  for (const lane of lanes) total += lane.pending.length;
  return total;
}
