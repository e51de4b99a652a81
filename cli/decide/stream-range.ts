/**
 * Reading exactly one shard range of a DynamoDB stream, as the decide function would have received
 * it: GetShardIterator AT_SEQUENCE_NUMBER at the range's first record, GetRecords until a record past
 * its last one (or the shard's end), each record in the shape of Lambda's event.
 */
import {
  type _Record,
  type AttributeValue,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, StreamRecord } from 'aws-lambda';
import { UsageError } from '../../core/errors.js';
import { compareSequenceNumbers, type StreamBatchInfo } from './failure-message.js';

/** The range's records could not be read: gone past the stream's retention, or the stream is gone. */
export class RangeLostError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RangeLostError';
  }
}

/** The remedy when a range is lost, and its limit (RUNBOOK: "Decide failures"). */
export const LOST_RANGE_REMEDY =
  "the changes in it were never exported and cannot be replayed. Re-export the current state of the destinations' members with `backfill --destination ID --yes`; a backfill exports current members only, so a profile that exited a mapped segment in this range is not re-exported: tell the destination's owner which profiles changed in that window (the profile table's own history, if any, or the writers' logs)";

/** A Lambda event value from the SDK's: binaries as base64 text, DynamoDB Local's empty map as one. */
function lambdaValue(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: lambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(lambdaValue) };
  // The SDK reads DynamoDB Local's empty map (`{}`) as an unknown union member.
  if ('$unknown' in value) return { M: {} };
  return value;
}

/** An item or image from the SDK's shape to Lambda's event shape. */
export function lambdaImage(image: Record<string, AttributeValue> | undefined) {
  if (image === undefined) return undefined;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, lambdaValue(v)]));
}

/** A GetRecords record (SDK shape) as a record of Lambda's DynamoDB Streams event. */
export function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const data = record.dynamodb;
  const dynamodb = {
    ...(data?.Keys !== undefined && { Keys: lambdaImage(data.Keys) }),
    ...(data?.NewImage !== undefined && { NewImage: lambdaImage(data.NewImage) }),
    ...(data?.OldImage !== undefined && { OldImage: lambdaImage(data.OldImage) }),
    ...(data?.SequenceNumber !== undefined && { SequenceNumber: data.SequenceNumber }),
    ...(data?.SizeBytes !== undefined && { SizeBytes: data.SizeBytes }),
    ...(data?.StreamViewType !== undefined && { StreamViewType: data.StreamViewType }),
    // Lambda delivers epoch seconds.
    ApproximateCreationDateTime: (data?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000,
  } as StreamRecord;
  return {
    ...(record.eventID !== undefined && { eventID: record.eventID }),
    ...(record.eventName !== undefined && { eventName: record.eventName }),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? streamArn.split(':')[3] ?? '',
    dynamodb,
    eventSourceARN: streamArn,
  };
}

/** Options of {@link readStreamRange}. */
export interface ReadRangeOptions {
  readonly streams: DynamoDBStreamsClient;
  readonly range: StreamBatchInfo;
  /** Empty GetRecords answers of an open shard before the range is taken as unreadable. @default 20 */
  readonly maxEmptyReads?: number;
  /** Pause between empty reads. @default 250 */
  readonly emptyReadPauseMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The records of the range, from its start sequence number to its end one, in order.
 * @throws RangeLostError when the records are past the stream's retention (TrimmedDataAccessException)
 *   or the stream or shard no longer exists; UsageError when the range's last record is never reached;
 *   the SDK's error otherwise.
 */
export async function readStreamRange(options: ReadRangeOptions): Promise<DynamoDBRecord[]> {
  const { streams, range } = options;
  const where = `shard ${range.shardId} of ${range.streamArn}, sequence numbers ${range.startSequenceNumber}–${range.endSequenceNumber}`;
  const lost = (why: string, cause: unknown) =>
    new RangeLostError(`the range (${where}) cannot be read: ${why}; ${LOST_RANGE_REMEDY}`, { cause });
  let iterator: string | undefined;
  try {
    ({ ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: range.streamArn,
        ShardId: range.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: range.startSequenceNumber,
      }),
    ));
  } catch (error) {
    if (error instanceof TrimmedDataAccessException)
      throw lost("its records are past the stream's 24-hour retention", error);
    if (error instanceof ResourceNotFoundException)
      throw lost(
        'the stream or the shard no longer exists (the table or its stream was replaced, or the shard aged out)',
        error,
      );
    throw error;
  }
  const records: DynamoDBRecord[] = [];
  let empty = 0;
  while (iterator !== undefined) {
    let answer: GetRecordsCommandOutput;
    try {
      answer = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    } catch (error) {
      if (error instanceof TrimmedDataAccessException)
        throw lost("its records went past the stream's 24-hour retention while being read", error);
      if (error instanceof ExpiredIteratorException)
        throw new UsageError(`the shard iterator of ${where} expired; replay again`, { cause: error });
      throw error;
    }
    for (const record of answer.Records ?? []) {
      const sequence = record.dynamodb?.SequenceNumber ?? '';
      if (compareSequenceNumbers(sequence, range.endSequenceNumber) > 0) return records;
      records.push(toLambdaRecord(record, range.streamArn));
      if (compareSequenceNumbers(sequence, range.endSequenceNumber) === 0) return records;
    }
    if ((answer.Records ?? []).length === 0) {
      empty += 1;
      if (empty >= (options.maxEmptyReads ?? 20)) break;
      await sleep(options.emptyReadPauseMs ?? 250);
    } else empty = 0;
    iterator = answer.NextShardIterator;
  }
  throw new UsageError(
    `the range (${where}) was not read to its end: ${records.length} record(s) read, the last sequence number never reached; the failure message is kept — replay again, or see the runbook`,
  );
}
