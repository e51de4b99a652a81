/**
 * DynamoDB Streams records as Lambda delivers them, and Lambda's description of a stream batch it
 * skipped (the on-failure record). No I/O.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord, StreamRecord as LambdaStreamRecord } from 'aws-lambda';
import { toAwsStreamShape } from './aws-stream-shape.js';

/** Why a stream batch was skipped. */
export type SkipCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** Lambda's on-failure record for a stream batch. */
export interface StreamBatchFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: SkipCondition;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** A `GetRecords` record as the wire carries it: images in DynamoDB JSON, the time in epoch seconds. */
export interface WireStreamRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly eventVersion?: string;
  readonly awsRegion?: string;
  readonly dynamodb?: {
    readonly ApproximateCreationDateTime?: number;
    readonly Keys?: Record<string, unknown>;
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: string;
  };
}

/**
 * A `GetRecords` record in the shape of a Lambda event record. The wire's JSON is the event's JSON
 * (binaries as base64 text, numbers as text, epoch seconds), but for DynamoDB Local's empty map
 * (`toAwsStreamShape`).
 */
export function toLambdaRecord(record: WireStreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const data = record.dynamodb;
  const dynamodb: LambdaStreamRecord = {
    ...(data?.Keys && { Keys: data.Keys as LambdaStreamRecord['Keys'] }),
    ...(data?.NewImage && { NewImage: data.NewImage as LambdaStreamRecord['NewImage'] }),
    ...(data?.OldImage && { OldImage: data.OldImage as LambdaStreamRecord['OldImage'] }),
    ...(data?.SequenceNumber && { SequenceNumber: data.SequenceNumber }),
    ...(data?.SizeBytes !== undefined && { SizeBytes: data.SizeBytes }),
    ...(data?.StreamViewType && {
      StreamViewType: data.StreamViewType as LambdaStreamRecord['StreamViewType'],
    }),
    // Lambda delivers epoch seconds.
    ApproximateCreationDateTime: data?.ApproximateCreationDateTime ?? Date.now() / 1000,
  };
  return toAwsStreamShape({
    ...(record.eventID && { eventID: record.eventID }),
    ...(record.eventName && { eventName: record.eventName as DynamoDBRecord['eventName'] }),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    dynamodb,
    eventSourceARN: streamArn,
  });
}

/** A record's sequence number ('' when it has none). */
export function sequenceOf(record: DynamoDBRecord): string {
  return record.dynamodb?.SequenceNumber ?? '';
}

/** When a record was written, epoch ms. */
export function createdMs(record: DynamoDBRecord): number {
  return (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000;
}

/** What {@link describeSkippedBatch} needs besides the batch. */
export interface SkippedBatchContext {
  readonly shardId: string;
  readonly streamArn: string;
  readonly functionName: string;
  readonly region: string;
  readonly condition: SkipCondition;
  /** Invocations of the batch so far. */
  readonly attempts: number;
  /** Whether the last invocation failed (rather than the records aging out unattempted). */
  readonly functionFailed: boolean;
}

/**
 * Lambda's `DDBStreamBatchInfo` description of a skipped batch; `undefined` for an empty batch.
 */
export function describeSkippedBatch(
  batch: readonly DynamoDBRecord[],
  context: SkippedBatchContext,
): StreamBatchFailureRecord | undefined {
  const first = batch[0];
  const last = batch[batch.length - 1];
  if (first === undefined || last === undefined) return undefined;
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${context.region}:000000000000:function:${context.functionName}`,
      condition: context.condition,
      approximateInvokeCount: context.attempts,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: context.functionFailed ? 'Unhandled' : '',
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: context.shardId,
      startSequenceNumber: sequenceOf(first),
      endSequenceNumber: sequenceOf(last),
      approximateArrivalOfFirstRecord: new Date(createdMs(first)).toISOString(),
      approximateArrivalOfLastRecord: new Date(createdMs(last)).toISOString(),
      batchSize: batch.length,
      streamArn: context.streamArn,
    },
  };
}
