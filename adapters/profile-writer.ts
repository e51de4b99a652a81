import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ProfileValidationError } from '../core/errors.js';
import { ExactNumber } from '../core/exact-number.js';
import { BOOKKEEPING_FIELD, isPlainObject } from '../core/field-path.js';
import { type Bookkeeping, type Profile, parseProfile, type StoredProfile } from '../core/profile.js';
import { mergeProfileWrite } from '../core/profile-merge.js';
import { ProfileWriteConflictError } from './errors.js';

/** Options of {@link writeProfiles}. */
export interface WriteProfilesOptions {
  readonly tableName: string;
  /** @default - a DynamoDB client from the environment (`AWS_ENDPOINT_URL_DYNAMODB` honoured) */
  readonly client?: DynamoDBClient;
  /** Profiles written concurrently; writes of one profile always stay in order. @default 16 */
  readonly concurrency?: number;
  /** Attempts when another writer changed the profile between read and write. @default 8 */
  readonly maxConflictRetries?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The result of writing one document. */
export interface ProfileWriteResult {
  readonly profileId: string;
  readonly version: number;
  readonly writtenPaths: readonly string[];
}

function documentClient(client: DynamoDBClient | undefined): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client ?? new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    // Numbers read back stay exact (NumberValue) and are written back digit for digit: merging a
    // document never rounds an attribute it did not touch.
    unmarshallOptions: { wrapNumbers: true },
  });
}

/**
 * An item the SDK marshals without losing a digit: an `ExactNumber` (a document's number beyond a
 * double's precision) and a number beyond 2^53 become `NumberValue`s. Stored values read back
 * (`NumberValue`, sets, bytes) pass through.
 */
function exactItem(value: unknown): unknown {
  if (value instanceof ExactNumber) return NumberValue.from(value.text);
  if (typeof value === 'number')
    return Number.isSafeInteger(value) || !Number.isInteger(value) ? value : NumberValue.from(String(value));
  if (Array.isArray(value)) return value.map(exactItem);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: exactItem(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = exactItem(child);
  }
  return out;
}

/** The stored item with its bookkeeping's numbers as numbers (they are read as `NumberValue`s). */
function storedProfileOf(item: Record<string, unknown> | undefined): StoredProfile | undefined {
  if (item === undefined) return undefined;
  const bookkeeping = item[BOOKKEEPING_FIELD];
  if (!isPlainObject(bookkeeping)) return item as StoredProfile;
  const numeric = (v: unknown) => (v instanceof NumberValue ? Number(v.toString()) : v);
  return {
    ...item,
    [BOOKKEEPING_FIELD]: { ...bookkeeping, v: numeric(bookkeeping.v), at: numeric(bookkeeping.at) },
  } as StoredProfile;
}

async function writeOne(
  doc: DynamoDBDocumentClient,
  document: Profile,
  label: string | undefined,
  options: WriteProfilesOptions,
): Promise<ProfileWriteResult> {
  const attempts = options.maxConflictRetries ?? 8;
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    const current = await doc.send(
      new GetCommand({
        TableName: options.tableName,
        Key: { profileId: document.profileId },
        ConsistentRead: true,
      }),
    );
    const stored = storedProfileOf(current.Item);
    const merged = mergeProfileWrite(stored, document, now());
    const previous = stored?.[BOOKKEEPING_FIELD] as Bookkeeping | undefined;
    // The condition compares with the version exactly as read.
    const readVersion = (current.Item?.[BOOKKEEPING_FIELD] as { v?: unknown } | undefined)?.v;
    // Optimistic concurrency: the write applies only to the item it was merged from.
    const condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      stored === undefined
        ? { ConditionExpression: 'attribute_not_exists(profileId)' }
        : previous === undefined
          ? {
              ConditionExpression: 'attribute_not_exists(#kd)',
              ExpressionAttributeNames: { '#kd': BOOKKEEPING_FIELD },
            }
          : {
              ConditionExpression: '#kd.#v = :v',
              ExpressionAttributeNames: { '#kd': BOOKKEEPING_FIELD, '#v': 'v' },
              ExpressionAttributeValues: { ':v': readVersion ?? previous.v },
            };
    try {
      const item = exactItem(merged.item) as Record<string, unknown>;
      await doc.send(new PutCommand({ TableName: options.tableName, Item: item, ...condition }));
      return { profileId: document.profileId, version: merged.version, writtenPaths: merged.written };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && attempt < attempts) continue;
      if (error instanceof ConditionalCheckFailedException)
        throw new ProfileWriteConflictError(document.profileId, attempt, { cause: error });
      if (error instanceof Error && error.name === 'ValidationException') {
        // DynamoDB refused what the document makes of the item (its size, most often): bad input.
        const where = `${label === undefined ? '' : `${label} `}(profile "${document.profileId}")`;
        throw new ProfileValidationError([`${where}: DynamoDB refused the item: ${error.message}`], {
          cause: error,
        });
      }
      throw error;
    }
  }
}

/**
 * The profile writer upstream services use. Validates each document, merges it into the stored
 * profile (see `mergeProfileWrite`) and records which fields it wrote, so that a same-value
 * overwrite of a mapped attribute is still exported. Documents of one profile are applied in the
 * order given; different profiles are written concurrently.
 * Numbers are written exactly: a number beyond 2^53, or with more digits than a double holds, keeps
 * every digit (up to DynamoDB's 38).
 * @throws ProfileValidationError for an invalid document (nothing is written in that case: a
 *   number DynamoDB cannot store, nesting beyond its 32 levels, a bad field…) or one DynamoDB
 *   refuses (an item over 400 KB; documents before it were written),
 *   ProfileWriteConflictError when a profile keeps changing under the writer, or the SDK's error.
 */
export async function writeProfiles(
  documents: readonly unknown[],
  options: WriteProfilesOptions,
): Promise<ProfileWriteResult[]> {
  const labelOf = (i: number) => (documents.length > 1 ? `[${i}]` : undefined);
  const profiles = documents.map((d, i) => parseProfile(d, labelOf(i)));
  const doc = documentClient(options.client);
  const byProfile = new Map<string, number[]>();
  profiles.forEach((p, i) => {
    const list = byProfile.get(p.profileId);
    if (list === undefined) byProfile.set(p.profileId, [i]);
    else list.push(i);
  });
  const results: ProfileWriteResult[] = new Array(profiles.length);
  const queues = [...byProfile.values()];
  let next = 0;
  const worker = async () => {
    while (next < queues.length) {
      const indexes = queues[next++] as number[];
      for (const i of indexes) results[i] = await writeOne(doc, profiles[i] as Profile, labelOf(i), options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, queues.length) }, worker));
  return results;
}

/** Deletes a profile; its stream REMOVE record exports it as having exited its mapped segments. */
export async function deleteProfile(
  profileId: string,
  options: Pick<WriteProfilesOptions, 'tableName' | 'client'>,
): Promise<boolean> {
  const doc = documentClient(options.client);
  const result = await doc.send(
    new DeleteCommand({ TableName: options.tableName, Key: { profileId }, ReturnValues: 'ALL_OLD' }),
  );
  return result.Attributes !== undefined;
}
