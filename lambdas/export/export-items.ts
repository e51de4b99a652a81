import type { SQSRecord } from 'aws-lambda';
import { entryProblem } from '../../adapters/put-records.js';
import { deliveredKey } from '../../adapters/state-table.js';
import type { Destination } from '../../core/config.js';
import { DEAD_LETTER_ATTRIBUTE } from '../../core/dead-letter.js';
import type { BatchMessage, ExportFailure } from '../../core/export-machine.js';
import { type ExportMessage, parseExportMessageBody } from '../../core/export-message.js';
import type { SafeLogFields } from '../commons/observability.js';

/**
 * One SQS message of the batch: what the state machine decides on (`batch`), and what the I/O needs
 * to act on it — the record (receipt handle, body, group), the export message and its destination.
 */
export interface ExportItem {
  readonly record: SQSRecord;
  readonly batch: BatchMessage;
  /** The export message; absent when the body is not one. */
  readonly message?: ExportMessage;
  /** Its destination; absent when the message is not an export of a deployed destination. */
  readonly destination?: Destination;
  /** The Kinesis record's data: the document's exact text. */
  readonly data?: Uint8Array;
}

/** An item whose export can be put (the machine only puts those). */
export type PuttableItem = ExportItem & {
  readonly message: ExportMessage;
  readonly destination: Destination;
  readonly data: Uint8Array;
};

/** The identifiers of an item's export its log lines may carry (never its document). */
export function logFieldsOf(item: ExportItem): SafeLogFields {
  const m = item.message;
  return m === undefined
    ? {}
    : { exportId: m.exportId, destinationId: m.destinationId, profileId: m.profileId };
}

/** True when the item is an export of a deployed destination. */
export function isPuttable(item: ExportItem): item is PuttableItem {
  return item.message !== undefined && item.destination !== undefined && item.data !== undefined;
}

/**
 * Reads one SQS message of the export queue. Never throws: a body that is not an export message, an
 * export of a destination not in the config, or a record Kinesis would refuse (core/partition-key.ts,
 * 1 MiB) becomes a message with a `problem`, which the machine fails without a put.
 */
export function parseItem(record: SQSRecord, destinations: ReadonlyMap<string, Destination>): ExportItem {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
  const parsed = parseExportMessageBody(record.body);
  if (!parsed.ok) {
    const problem: ExportFailure = { code: 'InvalidMessage', message: parsed.problem, retryable: false };
    const group = record.attributes.MessageGroupId ?? record.messageId;
    return { record, batch: { id: record.messageId, group, receiveCount, problem } };
  }
  const message = parsed.message;
  const group = record.attributes.MessageGroupId ?? `${message.destinationId}:${message.profileId}`;
  const batch: BatchMessage = {
    id: record.messageId,
    group,
    receiveCount,
    export: {
      exportId: message.exportId,
      key: deliveredKey(message.destinationId, message.profileId),
      facts: {
        exportId: message.exportId,
        profileVersion: message.profileVersion,
        receiveCount,
        backfill: message.reasons.includes('backfill'),
        sourceTime: message.sourceTime,
      },
    },
  };
  const destination = destinations.get(message.destinationId);
  if (destination === undefined) {
    const problem: ExportFailure = {
      code: 'UnknownDestination',
      message: `destination "${message.destinationId}" is not in the deployed config; add it back, or leave the export in the DLQ`,
      retryable: true,
    };
    return { record, message, batch: { ...batch, problem } };
  }
  const data = Buffer.from(message.documentJson, 'utf8');
  const refused = entryProblem({ key: record.messageId, data, partitionKey: message.profileId });
  return {
    record,
    message,
    destination,
    data,
    batch: refused === undefined ? batch : { ...batch, problem: refused },
  };
}

/**
 * Whether a message came back from the dead-letter queue (the funnel's `redriven`): its first receive
 * in the export queue (`ApproximateReceiveCount` 1: a message moved back is a new message, as the
 * failure record's "life" already assumes) and
 * - it carries the dead-letter attributes the export function attaches when it moves an export (a
 *   redrive keeps a message's attributes — `dlq redrive`'s selective move copies them itself; for
 *   SQS's own move task we take the AWS docs' word that attributes are kept), or
 * - its export id is pending in its delivery ledger entry (`pending`: it failed before), which also
 *   finds a dead letter the queue's redrive policy moved without attributes. Only entries this
 *   invocation read count (a destination with a recent failure): an older one is not looked up, as
 *   one more read per message would cost more than this count is worth.
 */
export function isRedriven(item: ExportItem, pending: (key: string) => readonly string[]): boolean {
  if (item.message === undefined || item.batch.receiveCount !== 1) return false;
  if (Object.hasOwn(item.record.messageAttributes ?? {}, DEAD_LETTER_ATTRIBUTE.errorCode)) return true;
  const key = item.batch.export?.key;
  return key !== undefined && pending(key).includes(item.message.exportId);
}

/** The message ids of the items back from the dead-letter queue ({@link isRedriven}). */
export function redrivenIds(
  items: readonly ExportItem[],
  pending: (key: string) => readonly string[],
): ReadonlySet<string> {
  return new Set(items.filter((i) => isRedriven(i, pending)).map((i) => i.record.messageId));
}
