import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LEDGER_HORIZON_MS, LedgerEntry } from '../core/staleness.js';
import {
  backfillWindowTtl,
  type DestinationState,
  destinationKey,
  type FailureInput,
  type FailureRecord,
  type FailureRecordResult,
  failureKey,
  failureRecordTtl,
  ledgerItem,
  ledgerTtl,
  parseDestinationState,
  parseFailureRecord,
  parseLedgerEntry,
} from '../core/state-records.js';
import { StateTableItems, stateTableDocumentClient } from './state-table-io.js';

// The export function's modules and tests import these from here; they are defined (once) in core.
export {
  type DestinationState,
  deliveredKey,
  destinationKey,
  type FailureInput,
  type FailureRecord,
  failureKey,
} from '../core/state-records.js';

/** A live delivery made while a backfill window was open, for {@link StateTable.recordLiveDeliveries}. */
export interface LiveDelivery {
  readonly key: string;
  readonly sourceTime: number;
  /** The profile version; 0 for an unversioned change. */
  readonly profileVersion: number;
}

/** Options of {@link StateTable}. */
export interface StateTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * The state table's delivery ledger (ledger entries and destination states, see
 * core/staleness.ts) and failure log (failure records); the backfill's checkpoints are
 * adapters/backfill-checkpoints.ts. Keys, record shapes and expiry are core/state-records.ts's; see
 * docs/ARCHITECTURE.md. Every read is strongly consistent: a mark written just before a message left
 * the queue must be seen by the invocation that gets the next message.
 */
export class StateTable {
  private readonly doc: DynamoDBDocumentClient;
  private readonly items: StateTableItems;
  constructor(private readonly options: StateTableOptions) {
    this.doc = stateTableDocumentClient(options.client);
    this.items = new StateTableItems(this.doc, options.tableName, options.sleep);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * The ledger states of destinations (absent: nothing marked, no window), by destination id.
   * @throws the SDK's error when the table cannot be read.
   */
  async destinationStates(destinationIds: readonly string[]): Promise<Map<string, DestinationState>> {
    const items = await this.items.readItems(destinationIds.map(destinationKey));
    const states = new Map<string, DestinationState>();
    for (const id of destinationIds) {
      const item = items.get(destinationKey(id));
      if (item !== undefined) states.set(id, parseDestinationState(item));
    }
    return states;
  }

  /**
   * Ledger entries by their key (core/state-records.ts, `deliveredKey`); a key without an entry is
   * absent from the map. See `parseLedgerEntry` for how a stored entry reads.
   * @throws the SDK's error when the table cannot be read.
   */
  async ledgerEntries(keys: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const items = await this.items.readItems(keys);
    return new Map([...items].map(([key, item]) => [key, parseLedgerEntry(item)]));
  }

  /**
   * Writes whole ledger entries (unconditional: the export queue's FIFO groups let one invocation at
   * a time handle a destination's profile). Each lives {@link LEDGER_HORIZON_MS} from this write.
   * @throws the SDK's error, or when items stay unprocessed.
   */
  async writeLedgerEntries(entries: ReadonlyMap<string, LedgerEntry>): Promise<void> {
    const now = this.now();
    await this.items.writeItems([...entries].map(([key, entry]) => ledgerItem(key, entry, now)));
  }

  /**
   * Records live deliveries made while a backfill window was open: the delivery's source time and
   * version on its entry, leaving the entry's lists as they are. A group's live exports are put in
   * stream order, so the last one written is the newest.
   * @throws the SDK's error.
   */
  async recordLiveDeliveries(deliveries: readonly LiveDelivery[]): Promise<void> {
    const now = this.now();
    await Promise.all(
      deliveries.map((d) =>
        this.items.update(d.key, {
          UpdateExpression: `SET liveAt = :t, #at = :now, #ttl = :ttl${d.profileVersion > 0 ? ', v = :v' : ''}`,
          ExpressionAttributeNames: { '#at': 'at', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':t': d.sourceTime,
            ':now': now,
            ':ttl': ledgerTtl(now),
            ...(d.profileVersion > 0 && { ':v': d.profileVersion }),
          },
        }),
      ),
    );
  }

  /**
   * Marks destinations as having a failed export now, so that their entries are read while it can
   * still come back (see core/staleness.ts, `needsLedger`).
   * @throws the SDK's error.
   */
  async markDestinations(destinationIds: readonly string[]): Promise<void> {
    const now = this.now();
    await Promise.all(
      [...new Set(destinationIds)].map((id) =>
        this.items.update(destinationKey(id), {
          UpdateExpression: 'SET markedAt = :now, #ttl = :ttl',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': now, ':ttl': ledgerTtl(now) },
        }),
      ),
    );
  }

  /**
   * Opens (or keeps open until at least `until`) a destination's backfill window: while it is open
   * the export function records every live delivery of the destination, against which backfill
   * exports are judged. Never shortens an open window (already open for longer: nothing to do).
   * @throws the SDK's error.
   */
  async openBackfillWindow(destinationId: string, until: number): Promise<void> {
    await this.items.update(destinationKey(destinationId), {
      UpdateExpression: 'SET windowUntil = :until, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(windowUntil) OR windowUntil < :until',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':until': until, ':ttl': backfillWindowTtl(this.now(), until) },
    });
  }

  /**
   * The failure records of exports (`dlq list`), by export id: each parsed, or what is wrong with
   * it; an export without a record is absent from the map.
   * @throws the SDK's error when the table cannot be read.
   */
  async failureRecords(exportIds: readonly string[]): Promise<Map<string, FailureRecordResult>> {
    const items = await this.items.readItems(exportIds.map(failureKey));
    const records = new Map<string, FailureRecordResult>();
    for (const id of exportIds) {
      const item = items.get(failureKey(id));
      if (item !== undefined) records.set(id, parseFailureRecord(item));
    }
    return records;
  }

  /**
   * Records an export's latest failure, keeping the time of its first, and counts the attempt —
   * atomically (`ADD attempts`, with the count returned by the same update), so a crash or a
   * concurrent duplicate can neither lose nor double an increment. The count belongs to one life of
   * the message (`messageId`): the first failure of a new life (a redrive) starts it again.
   * @throws the SDK's error.
   */
  async recordFailure(failure: FailureInput): Promise<FailureRecord> {
    const message = failure.message.slice(0, 1_000);
    const ttl = failureRecordTtl(failure.lastFailureAt);
    const fields =
      'exportId = :e, destinationId = :d, profileId = :p, code = :c, message = :m, lastFailureAt = :t, firstFailureAt = if_not_exists(firstFailureAt, :t), messageId = :life, #ttl = :ttl';
    const values = {
      ':e': failure.exportId,
      ':d': failure.destinationId,
      ':p': failure.profileId,
      ':c': failure.code,
      ':m': message,
      ':t': failure.lastFailureAt,
      ':life': failure.messageId,
      ':ttl': ttl,
      ':n': failure.attempt ? 1 : 0,
    };
    const update = async (life: 'same' | 'new') =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: failureKey(failure.exportId) },
          UpdateExpression:
            life === 'same' ? `SET ${fields} ADD attempts :n` : `SET ${fields}, attempts = :n`,
          ConditionExpression:
            life === 'same' ? 'attribute_not_exists(messageId) OR messageId = :life' : 'messageId <> :life',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
    const isConditionFailure = (error: unknown) =>
      error instanceof Error && error.name === 'ConditionalCheckFailedException';
    let attributes: Record<string, unknown> | undefined;
    for (let tries = 0; attributes === undefined; tries++) {
      try {
        attributes = (await update('same')).Attributes ?? {};
      } catch (error) {
        if (!isConditionFailure(error) || tries >= 2) throw error;
        try {
          // A new life of the message: its count starts again (unless a duplicate started it first).
          attributes = (await update('new')).Attributes ?? {};
        } catch (again) {
          if (!isConditionFailure(again)) throw again;
        }
      }
    }
    return {
      exportId: failure.exportId,
      destinationId: failure.destinationId,
      profileId: failure.profileId,
      code: failure.code,
      message,
      attempts: numberOr(attributes.attempts) ?? (failure.attempt ? 1 : 0),
      firstFailureAt: numberOr(attributes.firstFailureAt) ?? failure.lastFailureAt,
      lastFailureAt: failure.lastFailureAt,
    };
  }

  /**
   * The failure records of exports in their current life (`messageId`), by export id: the attempts
   * made and the last failure. An export whose record belongs to another life, or has none, is absent.
   * Strongly consistent.
   * @throws the SDK's error when the table cannot be read.
   */
  async failureAttempts(
    lives: readonly { readonly exportId: string; readonly messageId: string }[],
  ): Promise<Map<string, Pick<FailureRecord, 'attempts' | 'code' | 'message'>>> {
    const records = await this.failureRecords(lives.map((l) => l.exportId));
    const found = new Map<string, Pick<FailureRecord, 'attempts' | 'code' | 'message'>>();
    for (const { exportId, messageId } of lives) {
      const result = records.get(exportId);
      // A record of another life (or one that cannot be read) counts nothing for this one.
      if (result?.ok !== true || result.record.messageId !== messageId) continue;
      const { attempts, code, message } = result.record;
      found.set(exportId, { attempts, code, message });
    }
    return found;
  }
}
