import type { SQSRecord } from 'aws-lambda';
import type { PutFailure } from '../../adapters/put-records.js';
import { deliveredKey, type FailureRecord } from '../../adapters/state-table.js';
import type { Destination } from '../../core/config.js';
import { type ExportMessage, exportMessageSchema, readExportMessage } from '../../core/export-message.js';
import type { ExportFacts } from '../../core/staleness.js';

/** What every SQS message of the batch carries. */
interface Envelope {
  readonly record: SQSRecord;
  /** The FIFO message group: destination and profile. */
  readonly group: string;
  readonly receiveCount: number;
}

/** A message that can be put: a valid export message of a deployed destination. */
export interface PuttableItem extends Envelope {
  readonly kind: 'puttable';
  readonly message: ExportMessage;
  readonly destination: Destination;
  /** Its delivery ledger key ({@link deliveredKey}). */
  readonly key: string;
  /** What the staleness rule needs of it. */
  readonly facts: ExportFacts;
}

/**
 * A message that cannot be put: not an export message (no `message`), or of a destination that
 * is not in the deployed config.
 */
export interface UnputtableItem extends Envelope {
  readonly kind: 'unputtable';
  readonly message?: ExportMessage;
  readonly failure: PutFailure;
}

/** One SQS message of the batch. */
export type ExportItem = PuttableItem | UnputtableItem;

/** What became of one message. */
export type Settled =
  | { readonly status: 'delivered'; readonly item: PuttableItem }
  | { readonly status: 'superseded'; readonly item: PuttableItem; readonly repeat: boolean }
  /** Moved to the dead-letter queue by the function itself (on its last attempt). */
  | { readonly status: 'dead-lettered'; readonly item: ExportItem; readonly failure: PutFailure }
  /** Reported to SQS as a batch item failure. */
  | { readonly status: 'failed'; readonly item: ExportItem; readonly failure: PutFailure };

/** The failure record of a message that failed this attempt (the state table's `failure#<exportId>`). */
export function failureRecordOf(
  message: ExportMessage,
  item: ExportItem,
  failure: PutFailure,
  at: number,
): Omit<FailureRecord, 'firstFailureAt'> {
  return {
    exportId: message.exportId,
    destinationId: message.destinationId,
    profileId: message.profileId,
    code: failure.code,
    message: failure.message,
    attempts: item.receiveCount,
    lastFailureAt: at,
  };
}

/** The facts the staleness rule reads from a message and its receive count. */
export function factsOf(message: ExportMessage, receiveCount: number): ExportFacts {
  return {
    exportId: message.exportId,
    profileVersion: message.profileVersion,
    receiveCount,
    backfill: message.reasons.includes('backfill'),
    sourceTime: message.sourceTime,
  };
}

/**
 * Validates one SQS message of the export queue. Never throws: an invalid body becomes an
 * {@link UnputtableItem} whose failure names the invalid fields (never their values).
 */
export function parseItem(record: SQSRecord, destinations: ReadonlyMap<string, Destination>): ExportItem {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const fallbackGroup = record.attributes.MessageGroupId ?? record.messageId;
  let json: unknown;
  try {
    json = readExportMessage(record.body);
  } catch {
    return {
      kind: 'unputtable',
      record,
      group: fallbackGroup,
      receiveCount,
      failure: { code: 'InvalidMessage', message: 'the message body is not JSON' },
    };
  }
  const parsed = exportMessageSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    return {
      kind: 'unputtable',
      record,
      group: fallbackGroup,
      receiveCount,
      failure: {
        code: 'InvalidMessage',
        message: `the message is not an export envelope (invalid: ${fields})`,
      },
    };
  }
  const message = parsed.data;
  const destination = destinations.get(message.destinationId);
  const group = record.attributes.MessageGroupId ?? `${message.destinationId}:${message.profileId}`;
  if (destination === undefined) {
    return {
      kind: 'unputtable',
      record,
      group,
      receiveCount,
      message,
      failure: {
        code: 'UnknownDestination',
        message: `destination "${message.destinationId}" is not in the deployed config; add it back, or leave the export in the DLQ`,
      },
    };
  }
  return {
    kind: 'puttable',
    record,
    group,
    receiveCount,
    message,
    destination,
    key: deliveredKey(message.destinationId, message.profileId),
    facts: factsOf(message, receiveCount),
  };
}
