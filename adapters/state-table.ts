import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { sleep as defaultSleep, fullJitterDelay } from './backoff.js';

/** Key of the delivery ledger entry of one destination and profile. */
export const deliveredKey = (destinationId: string, profileId: string) =>
  `delivered#${destinationId}#${profileId}`;
/** Key of the failure record of one export. */
export const failureKey = (exportId: string) => `failure#${exportId}`;

/** The last failure of an export, kept for `dlq list`. */
export interface FailureRecord {
  readonly exportId: string;
  readonly destinationId: string;
  readonly profileId: string;
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
}

export interface StateTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
const MAX_ROUNDS = 6;

/**
 * The state table: delivery ledger (highest profile version delivered per destination and profile)
 * and failure log (last failure per export). See docs/ARCHITECTURE.md.
 */
export class StateTable {
  private readonly doc: DynamoDBDocumentClient;
  constructor(private readonly options: StateTableOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /**
   * Delivered versions for the given (destination, profile) pairs, keyed by {@link deliveredKey}.
   * Duplicates are removed; unprocessed keys are retried with backoff.
   * @throws the SDK's error when the table cannot be read.
   */
  async deliveredVersions(
    pairs: readonly { destinationId: string; profileId: string }[],
  ): Promise<Map<string, number>> {
    const keys = [...new Set(pairs.map((p) => deliveredKey(p.destinationId, p.profileId)))];
    const versions = new Map<string, number>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let request: Record<string, unknown>[] = keys.slice(i, i + BATCH_GET_MAX).map((pk) => ({ pk }));
      for (let round = 0; request.length > 0; round++) {
        if (round >= MAX_ROUNDS)
          throw new Error(
            `state table: ${request.length} key(s) still unprocessed after ${MAX_ROUNDS} rounds`,
          );
        if (round > 0) await (this.options.sleep ?? defaultSleep)(fullJitterDelay(round, 50, 1_000));
        const response = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.options.tableName]: { Keys: request, ProjectionExpression: 'pk, v' } },
          }),
        );
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          if (typeof item.pk === 'string' && typeof item.v === 'number') versions.set(item.pk, item.v);
        }
        request = (response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? []) as Record<
          string,
          unknown
        >[];
      }
    }
    return versions;
  }

  /**
   * Records delivered versions. Unconditional writes are safe: the export queue's FIFO groups let
   * only one invocation at a time handle a destination's profile, and callers pass the maximum.
   * @throws the SDK's error, or when items stay unprocessed.
   */
  async recordDelivered(entries: ReadonlyMap<string, number>): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const ttl = Math.floor(now / 1000) + PIPELINE_SETTINGS.ledger.ttlSeconds;
    const items = [...entries].map(([pk, v]) => ({ PutRequest: { Item: { pk, v, at: now, ttl } } }));
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
   * Records an export's latest failure, keeping the time of its first.
   * @throws the SDK's error.
   */
  async recordFailure(failure: Omit<FailureRecord, 'firstFailureAt'>): Promise<void> {
    const ttl = Math.floor(failure.lastFailureAt / 1000) + PIPELINE_SETTINGS.ledger.ttlSeconds;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk: failureKey(failure.exportId) },
        UpdateExpression:
          'SET exportId = :e, destinationId = :d, profileId = :p, code = :c, message = :m, attempts = :a, lastFailureAt = :t, firstFailureAt = if_not_exists(firstFailureAt, :t), #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':e': failure.exportId,
          ':d': failure.destinationId,
          ':p': failure.profileId,
          ':c': failure.code,
          ':m': failure.message.slice(0, 1_000),
          ':a': failure.attempts,
          ':t': failure.lastFailureAt,
          ':ttl': ttl,
        },
      }),
    );
  }
}
