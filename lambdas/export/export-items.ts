import type { SQSRecord } from 'aws-lambda';
import type { PutFailure } from '../../adapters/put-records.js';
import { deliveredKey } from '../../adapters/state-table.js';
import type { Destination } from '../../core/config.js';
import { type ExportMessage, exportMessageSchema } from '../../core/export-message.js';

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
  | { readonly status: 'delivered' | 'superseded'; readonly item: PuttableItem }
  | { readonly status: 'failed'; readonly item: ExportItem; readonly failure: PutFailure };

/**
 * Validates one SQS message of the export queue. Never throws: an invalid body becomes an
 * {@link UnputtableItem} whose failure names the invalid fields (never their values).
 */
export function parseItem(record: SQSRecord, destinations: ReadonlyMap<string, Destination>): ExportItem {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const fallbackGroup = record.attributes.MessageGroupId ?? record.messageId;
  let json: unknown;
  try {
    json = JSON.parse(record.body);
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
  return { kind: 'puttable', record, group, receiveCount, message, destination };
}

/** The delivery ledger key of a message's destination and profile. */
export function ledgerKeyOf(message: ExportMessage): string {
  return deliveredKey(message.destinationId, message.profileId);
}

/**
 * Whether delivering `message` would repeat or undo what the destination already has:
 * - its version is older than the one delivered (a redriven or backfilled export overtaken by a newer one);
 * - or it is the version delivered, again (SQS redelivered a message whose put succeeded, or the decide
 *   function queued a change twice beyond the FIFO deduplication window). A backfill export of the
 *   delivered version is not a repeat: it carries segments newly mapped since.
 * Version 0 means unversioned (not written by the profile writer): never stale.
 */
export function isStale(message: ExportMessage, deliveredVersion: number | undefined): boolean {
  if (deliveredVersion === undefined || message.profileVersion === 0) return false;
  if (message.profileVersion < deliveredVersion) return true;
  return message.profileVersion === deliveredVersion && !message.reasons.includes('backfill');
}
