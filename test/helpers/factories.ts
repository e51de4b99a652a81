/**
 * Test factories in the style of Powertools' `tests/helpers/factories.ts`: values production code
 * takes, built in one place — export messages by the production builder (`buildExportMessage`), so
 * a test never feeds a shape production no longer sends.
 *
 * The export-queue builders below are the export function's; other factories (stream records,
 * destinations, configs) live beside them under their own names.
 */
import type { SQSRecord } from 'aws-lambda';
import type { ExportDecision } from '../../core/decide.js';
import { buildExportMessage, type QueuedExport } from '../../core/export-message.js';
import type { ReasonCode } from '../../core/reasons.js';

/** Options of {@link exportQueueMessage}. */
export interface ExportQueueMessageOptions {
  readonly profileId: string;
  /** @default 'marketing' */
  readonly destinationId?: string;
  /** The writer's `__kd.v`. @default 0 */
  readonly profileVersion?: number;
  /** The export document (as a value; written as JSON). @default a small document */
  readonly document?: Record<string, unknown>;
  /** @default ['mapped-attribute'] */
  readonly reasons?: readonly ReasonCode[];
  /** The stream record's event id: the export id derives from it. @default a new one per call */
  readonly sourceEventId?: string;
  /** @default 1_000 */
  readonly sourceTime?: number;
  /** @default 1_000 */
  readonly queuedAt?: number;
}

let exportEvents = 0;

/** An export queue message (body, group, deduplication id) built by the production builder. */
export function exportQueueMessage(options: ExportQueueMessageOptions): QueuedExport {
  exportEvents++;
  const document = options.document ?? { person: { name: { firstName: 'Jane' } } };
  const documentJson = JSON.stringify(document);
  const decision: ExportDecision = {
    destinationId: options.destinationId ?? 'marketing',
    export: true,
    reasons: (options.reasons ?? ['mapped-attribute']).map((code) => ({ code, message: code })),
    document: document as ExportDecision['document'],
    documentJson,
    documentBytes: Buffer.byteLength(documentJson, 'utf8'),
    profileVersion: options.profileVersion ?? 0,
  };
  return buildExportMessage(decision, {
    sourceEventId: options.sourceEventId ?? `event-${exportEvents}`,
    profileId: options.profileId,
    sourceTime: options.sourceTime ?? 1_000,
    queuedAt: options.queuedAt ?? 1_000,
  });
}

/** Options of {@link exportQueueRecord}: the message's, and the SQS record's. */
export interface ExportQueueRecordOptions extends ExportQueueMessageOptions {
  /** @default 1 */
  readonly receiveCount?: number;
  /** A body other than the built message's (a poison message). */
  readonly body?: string;
  /** @default `msg-<n>` */
  readonly messageId?: string;
}

let exportRecords = 0;

/**
 * The export function's SQS record of an export queue message, as Lambda's FIFO event source hands
 * it over (`ApproximateReceiveCount`, `MessageGroupId`, `MessageDeduplicationId`).
 */
export function exportQueueRecord(options: ExportQueueRecordOptions): SQSRecord & {
  readonly queued: QueuedExport;
} {
  exportRecords++;
  const queued = exportQueueMessage(options);
  return {
    queued,
    messageId: options.messageId ?? `msg-${exportRecords}`,
    receiptHandle: `rh-${exportRecords}`,
    body: options.body ?? queued.body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '900',
      MessageGroupId: queued.groupId,
      MessageDeduplicationId: queued.deduplicationId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kinesis-destination-export.fifo',
    awsRegion: 'us-east-1',
  };
}
