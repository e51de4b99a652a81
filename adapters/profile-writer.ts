import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { BOOKKEEPING_FIELD } from '../core/field-path.js';
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
  });
}

async function writeOne(
  doc: DynamoDBDocumentClient,
  document: Profile,
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
    const stored = current.Item as StoredProfile | undefined;
    const merged = mergeProfileWrite(stored, document, now());
    const previous = stored?.[BOOKKEEPING_FIELD] as Bookkeeping | undefined;
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
              ExpressionAttributeValues: { ':v': previous.v },
            };
    try {
      await doc.send(new PutCommand({ TableName: options.tableName, Item: merged.item, ...condition }));
      return { profileId: document.profileId, version: merged.version, writtenPaths: merged.written };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && attempt < attempts) continue;
      if (error instanceof ConditionalCheckFailedException)
        throw new ProfileWriteConflictError(document.profileId, attempt, { cause: error });
      throw error;
    }
  }
}

/**
 * The profile writer upstream services use. Validates each document, merges it into the stored
 * profile (see `mergeProfileWrite`) and records which fields it wrote, so that a same-value
 * overwrite of a mapped attribute is still exported. Documents of one profile are applied in the
 * order given; different profiles are written concurrently.
 * @throws ProfileValidationError for an invalid document (nothing is written in that case),
 *   ProfileWriteConflictError when a profile keeps changing under the writer, or the SDK's error.
 */
export async function writeProfiles(
  documents: readonly unknown[],
  options: WriteProfilesOptions,
): Promise<ProfileWriteResult[]> {
  const profiles = documents.map((d, i) => parseProfile(d, documents.length > 1 ? `[${i}]` : undefined));
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
      for (const i of indexes) results[i] = await writeOne(doc, profiles[i] as Profile, options);
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
