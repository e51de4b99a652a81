import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_ATTRIBUTE } from '../core/state-records.js';
import { sleep as defaultSleep, fullJitterDelay } from './backoff.js';

/**
 * The state table's item I/O, shared by its adapters (adapters/state-table.ts: ledger, destination
 * states, failure records; adapters/backfill-checkpoints.ts: checkpoints and completion markers):
 * batched reads and writes that retry what DynamoDB leaves unprocessed, single reads, puts and
 * conditional updates. What the items hold is core/state-records.ts's business.
 */

/** A stored item, as the document client returns it; parse it with core/state-records.ts. */
export type StoredItem = Record<string, unknown>;

/** An update of one item. */
export interface ItemUpdate {
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** The document client every state-table adapter uses: `undefined` attributes are left out. */
export function stateTableDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
const MAX_ROUNDS = 6;
const KEY = STATE_TABLE_ATTRIBUTE.partitionKey;

/** Item I/O on one state table. */
export class StateTableItems {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /**
   * Reads items by key, strongly consistent (a mark written just before a message left the queue
   * must be seen by the invocation that gets the next one), retrying unprocessed keys with backoff.
   * @returns the items found, by key.
   * @throws the SDK's error, or when keys stay unprocessed.
   */
  async readItems(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    const unique = [...new Set(keys)];
    const items = new Map<string, StoredItem>();
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let request: StoredItem[] = unique.slice(i, i + BATCH_GET_MAX).map((key) => ({ [KEY]: key }));
      for (let round = 0; request.length > 0; round++) {
        await this.pauseBefore(round, request.length, 'key(s)');
        const response = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: request, ConsistentRead: true } },
          }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const key = item[KEY];
          if (typeof key === 'string') items.set(key, item);
        }
        request = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as StoredItem[];
      }
    }
    return items;
  }

  /**
   * Puts items in batches, retrying unprocessed ones with backoff.
   * @throws the SDK's error, or when items stay unprocessed.
   */
  async writeItems(items: readonly StoredItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
      let request: unknown[] = items.slice(i, i + BATCH_WRITE_MAX).map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; request.length > 0; round++) {
        await this.pauseBefore(round, request.length, 'write(s)');
        const response = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: request as never } }),
        );
        request = response.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }

  /** One item, strongly consistent, or undefined. @throws the SDK's error. */
  async get(key: string): Promise<StoredItem | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [KEY]: key }, ConsistentRead: true }),
    );
    return Item;
  }

  /** Writes a whole item, replacing any other under its key. @throws the SDK's error. */
  async put(item: StoredItem): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /**
   * Updates one item.
   * @returns false when the update's condition failed (ConditionalCheckFailedException), else true.
   * @throws the SDK's other errors.
   */
  async update(key: string, update: ItemUpdate): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: { [KEY]: key }, ...update }));
      return true;
    } catch (error) {
      // Matched by name: the document client rethrows the low-level client's exception classes,
      // and a caller's mocked client may throw a plain Error named so.
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async pauseBefore(round: number, left: number, what: string): Promise<void> {
    if (round >= MAX_ROUNDS)
      throw new Error(`state table: ${left} ${what} still unprocessed after ${MAX_ROUNDS} rounds`);
    if (round > 0) await this.sleep(fullJitterDelay(round, 50, 1_000));
  }
}
