/**
 * After a replay, the current state last. The mapping went on past the range it gave up on, so a
 * profile may have changed since — and its newer export was delivered before the replayed, older
 * ones. For each profile the replayed ranges touched, the current item is read (strongly consistent)
 * and compared with the last image the ranges held; where they differ, one change from that image to
 * the current item (a MODIFY, or a REMOVE for a deleted profile) is run through the decide function
 * too, so the profile's last export is its current state again. Its event id derives from the range's
 * last record, so a second replay queues the same export ids (dropped by the queue's deduplication).
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { lambdaImage } from './stream-range.js';

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

/** The last record of each item in the replayed records, by its key (pure). */
export function lastRecordPerItem(records: readonly DynamoDBRecord[]): Map<string, DynamoDBRecord> {
  const last = new Map<string, DynamoDBRecord>();
  for (const r of records) last.set(canonical(r.dynamodb?.Keys ?? {}), r);
  return last;
}

/** JSON with object keys sorted and set members sorted: two equal images give equal text. */
export function canonical(value: unknown): string {
  const normalize = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) {
      const items = v.map((x) => normalize(x));
      return key === 'SS' || key === 'NS' || key === 'BS' ? [...items].sort() : items;
    }
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, normalize((v as Record<string, unknown>)[k], k)]),
      );
    return v;
  };
  return JSON.stringify(normalize(value));
}

/**
 * The change from a replayed record's image to the item as it is now, or undefined when the item
 * is as the record left it (pure).
 */
export function catchUpRecord(last: DynamoDBRecord, current: Image | undefined): DynamoDBRecord | undefined {
  const image = last.eventName === 'REMOVE' ? undefined : last.dynamodb?.NewImage;
  if (canonical(image ?? null) === canonical(current ?? null)) return undefined;
  if (image === undefined && current === undefined) return undefined;
  const eventName = current === undefined ? 'REMOVE' : image === undefined ? 'INSERT' : 'MODIFY';
  return {
    ...last,
    eventID: `replay-current:${last.eventID ?? last.dynamodb?.SequenceNumber ?? ''}`,
    eventName,
    dynamodb: {
      ...last.dynamodb,
      ...(image === undefined ? { OldImage: undefined } : { OldImage: image }),
      ...(current === undefined ? { NewImage: undefined } : { NewImage: current }),
      ApproximateCreationDateTime: Date.now() / 1000,
    },
  };
}

/**
 * The current items of the replayed profiles (BatchGetItem, strongly consistent), by key.
 * @throws the SDK's error.
 */
export async function currentItems(
  dynamo: DynamoDBClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
): Promise<Map<string, Image>> {
  const items = new Map<string, Image>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending = keys.slice(i, i + 100) as Record<string, AttributeValue>[];
    for (let round = 0; pending.length > 0 && round < 10; round += 1) {
      const answer = await dynamo.send(
        new BatchGetItemCommand({
          RequestItems: { [tableName]: { Keys: pending as never, ConsistentRead: true } },
        }),
      );
      for (const item of answer.Responses?.[tableName] ?? []) {
        const image = lambdaImage(item as Record<string, AttributeValue>) as Image;
        const key = Object.fromEntries(Object.keys(pending[0] ?? {}).map((k) => [k, image[k]]));
        items.set(canonical(key), image);
      }
      pending = (answer.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
    }
    if (pending.length > 0)
      throw new Error(`BatchGetItem left ${pending.length} key(s) of ${tableName} unread`);
  }
  return items;
}

/**
 * The catch-up records of the replayed records: one per profile whose current item is not the last
 * image the ranges held.
 * @throws the SDK's error.
 */
export async function catchUpRecords(
  dynamo: DynamoDBClient,
  tableName: string,
  replayed: readonly DynamoDBRecord[],
): Promise<DynamoDBRecord[]> {
  const last = lastRecordPerItem(replayed);
  const keys = [...last.values()].map((r) => r.dynamodb?.Keys ?? {});
  const current = await currentItems(dynamo, tableName, keys);
  return [...last].flatMap(([key, record]) => {
    const change = catchUpRecord(record, current.get(key));
    return change === undefined ? [] : [change];
  });
}
