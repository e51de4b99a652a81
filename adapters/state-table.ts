import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { LEDGER_HORIZON_MS, type LedgerEntry } from '../core/staleness.js';
import { sleep as defaultSleep, fullJitterDelay } from './backoff.js';

/** Key of the delivery ledger entry of one destination and profile. */
export const deliveredKey = (destinationId: string, profileId: string) =>
  `delivered#${destinationId}#${profileId}`;
/** Key of the failure record of one export. */
export const failureKey = (exportId: string) => `failure#${exportId}`;
/** Key of a destination's ledger state (last failure mark, backfill window). */
export const destinationKey = (destinationId: string) => `destination#${destinationId}`;

/** The last failure of an export, kept for `dlq list`. */
export interface FailureRecord {
  readonly exportId: string;
  readonly destinationId: string;
  readonly profileId: string;
  readonly code: string;
  readonly message: string;
  /** Real put attempts of the export's current life in the queue (see {@link FailureInput.messageId}). */
  readonly attempts: number;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
}

/** A failure of an export, as {@link StateTable.recordFailure} takes it. */
export interface FailureInput extends Omit<FailureRecord, 'attempts' | 'firstFailureAt'> {
  /**
   * The SQS message id of this life of the export: a redriven copy is a new message, with a new id,
   * whose attempts count from zero again.
   */
  readonly messageId: string;
  /** Whether this failure was a real put attempt: it adds one to the count; otherwise it adds none. */
  readonly attempt: boolean;
}

/** A destination's ledger state (`destination#<id>`). */
export interface DestinationState {
  /** When an export of the destination last failed (epoch ms): its ledger entries must be read. */
  readonly markedAt?: number;
  /** Until when a backfill window is open (epoch ms): live deliveries are recorded meanwhile. */
  readonly windowUntil?: number;
}

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

const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
const MAX_ROUNDS = 6;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const numberOr = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * The state table: the delivery ledger (`delivered#…` entries and `destination#…` states, see
 * core/staleness.ts), the failure log (`failure#…`), and the backfill's checkpoints (written by the
 * backfill). See docs/ARCHITECTURE.md. Every ledger read is strongly consistent: a mark written
 * just before a message left the queue must be seen by the invocation that gets the next message.
 */
export class StateTable {
  private readonly doc: DynamoDBDocumentClient;
  constructor(private readonly options: StateTableOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private ttl(): number {
    return Math.floor((this.now() + LEDGER_HORIZON_MS) / 1000);
  }

  /**
   * Reads items by key, strongly consistent, retrying unprocessed keys with backoff.
   * @throws the SDK's error, or when keys stay unprocessed.
   */
  private async readItems(keys: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const unique = [...new Set(keys)];
    const items = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let request: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_MAX).map((pk) => ({ pk }));
      for (let round = 0; request.length > 0; round++) {
        if (round >= MAX_ROUNDS)
          throw new Error(
            `state table: ${request.length} key(s) still unprocessed after ${MAX_ROUNDS} rounds`,
          );
        if (round > 0) await (this.options.sleep ?? defaultSleep)(fullJitterDelay(round, 50, 1_000));
        const response = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.options.tableName]: { Keys: request, ConsistentRead: true } },
          }),
        );
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          if (typeof item.pk === 'string') items.set(item.pk, item);
        }
        request = (response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? []) as Record<
          string,
          unknown
        >[];
      }
    }
    return items;
  }

  /**
   * The ledger states of destinations (absent: nothing marked, no window), by destination id.
   * @throws the SDK's error when the table cannot be read.
   */
  async destinationStates(destinationIds: readonly string[]): Promise<Map<string, DestinationState>> {
    const items = await this.readItems(destinationIds.map(destinationKey));
    const states = new Map<string, DestinationState>();
    for (const id of destinationIds) {
      const item = items.get(destinationKey(id));
      if (item === undefined) continue;
      const markedAt = numberOr(item.markedAt);
      const windowUntil = numberOr(item.windowUntil);
      states.set(id, {
        ...(markedAt !== undefined && { markedAt }),
        ...(windowUntil !== undefined && { windowUntil }),
      });
    }
    return states;
  }

  /**
   * Ledger entries by {@link deliveredKey}; a key without an entry is absent from the map. Entries
   * written before the ledger tracked failures (`v` only) read as a version with empty lists.
   * @throws the SDK's error when the table cannot be read.
   */
  async ledgerEntries(keys: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const items = await this.readItems(keys);
    const entries = new Map<string, LedgerEntry>();
    for (const [pk, item] of items) {
      const version = numberOr(item.v);
      const liveAt = numberOr(item.liveAt);
      entries.set(pk, {
        pending: strings(item.pending),
        retired: strings(item.retired),
        ...(version !== undefined && { version }),
        ...(liveAt !== undefined && { liveAt }),
      });
    }
    return entries;
  }

  /**
   * Writes whole ledger entries (unconditional: the export queue's FIFO groups let one invocation at
   * a time handle a destination's profile). Each lives {@link LEDGER_HORIZON_MS} from this write.
   * @throws the SDK's error, or when items stay unprocessed.
   */
  async writeLedgerEntries(entries: ReadonlyMap<string, LedgerEntry>): Promise<void> {
    const now = this.now();
    const ttl = this.ttl();
    await this.batchWrite(
      [...entries].map(([pk, e]) => ({
        PutRequest: {
          Item: {
            pk,
            pending: [...e.pending],
            retired: [...e.retired],
            v: e.version,
            liveAt: e.liveAt,
            at: now,
            ttl,
          },
        },
      })),
    );
  }

  private async batchWrite(items: readonly unknown[]): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
      let request: unknown[] = items.slice(i, i + BATCH_WRITE_MAX);
      for (let round = 0; request.length > 0; round++) {
        if (round >= MAX_ROUNDS)
          throw new Error(
            `state table: ${request.length} write(s) still unprocessed after ${MAX_ROUNDS} rounds`,
          );
        if (round > 0) await (this.options.sleep ?? defaultSleep)(fullJitterDelay(round, 50, 1_000));
        const response = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.options.tableName]: request as never } }),
        );
        request = response.UnprocessedItems?.[this.options.tableName] ?? [];
      }
    }
  }

  /**
   * Records live deliveries made while a backfill window was open: the delivery's source time and
   * version on its entry, leaving the entry's lists as they are. A group's live exports are put in
   * stream order, so the last one written is the newest.
   * @throws the SDK's error.
   */
  async recordLiveDeliveries(deliveries: readonly LiveDelivery[]): Promise<void> {
    const now = this.now();
    const ttl = this.ttl();
    await Promise.all(
      deliveries.map((d) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { pk: d.key },
            UpdateExpression: `SET liveAt = :t, #at = :now, #ttl = :ttl${d.profileVersion > 0 ? ', v = :v' : ''}`,
            ExpressionAttributeNames: { '#at': 'at', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':t': d.sourceTime,
              ':now': now,
              ':ttl': ttl,
              ...(d.profileVersion > 0 && { ':v': d.profileVersion }),
            },
          }),
        ),
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
    const ttl = this.ttl();
    await Promise.all(
      [...new Set(destinationIds)].map((id) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { pk: destinationKey(id) },
            UpdateExpression: 'SET markedAt = :now, #ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': now, ':ttl': ttl },
          }),
        ),
      ),
    );
  }

  /**
   * Opens (or keeps open until at least `until`) a destination's backfill window: while it is open
   * the export function records every live delivery of the destination, against which backfill
   * exports are judged. Never shortens an open window.
   * @throws the SDK's error.
   */
  async openBackfillWindow(destinationId: string, until: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: destinationKey(destinationId) },
          UpdateExpression: 'SET windowUntil = :until, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(windowUntil) OR windowUntil < :until',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':until': until,
            ':ttl': Math.max(this.ttl(), Math.floor(until / 1000)),
          },
        }),
      );
    } catch (error) {
      // Already open for longer: nothing to do.
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    }
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
    const ttl =
      Math.floor(failure.lastFailureAt / 1000) +
      Math.max(PIPELINE_SETTINGS.ledger.ttlSeconds, LEDGER_HORIZON_MS / 1000);
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
    const items = await this.readItems(lives.map((l) => failureKey(l.exportId)));
    const found = new Map<string, Pick<FailureRecord, 'attempts' | 'code' | 'message'>>();
    for (const { exportId, messageId } of lives) {
      const item = items.get(failureKey(exportId));
      const attempts = numberOr(item?.attempts);
      if (item === undefined || item.messageId !== messageId || attempts === undefined) continue;
      found.set(exportId, {
        attempts,
        code: typeof item.code === 'string' ? item.code : 'Unknown',
        message: typeof item.message === 'string' ? item.message : '',
      });
    }
    return found;
  }
}
