import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { type StoredProfile, safeParseStoredProfile } from './profile.js';
import { buildProfileChange, type ChangeProblem, type ProfileChange } from './profile-change.js';

/** A DynamoDB Streams record turned into a validated profile change. */
export interface ParsedStreamRecord {
  readonly ok: true;
  readonly change: ProfileChange;
  readonly profileId: string;
  readonly eventId: string;
  readonly sequenceNumber: string;
  /** ApproximateCreationDateTime in epoch milliseconds. */
  readonly approximateCreationTime: number;
}

/** A record that can never be evaluated (a poison record), and why. */
export interface UnparsableStreamRecord {
  readonly ok: false;
  readonly reason: string;
  readonly eventId: string | undefined;
}

/** Options of {@link parseStreamRecord}. */
export interface ParseStreamRecordOptions {
  /**
   * Top-level fields to unmarshall (`CompiledConfig.fieldsRead`); the others are left out of the
   * images, so the work follows what the decision reads, not the profile's size.
   * @default - every field
   */
  readonly fields?: ReadonlySet<string>;
}

function project(
  image: Record<string, AttributeValue>,
  fields: ReadonlySet<string> | undefined,
): Record<string, AttributeValue> {
  if (fields === undefined) return image;
  const projected: Record<string, AttributeValue> = {};
  for (const field of fields) {
    const value = image[field];
    if (value !== undefined) projected[field] = value;
  }
  return projected;
}

function parseImage(
  image: Record<string, AttributeValue> | undefined,
  label: string,
  issues: string[],
  fields: ReadonlySet<string> | undefined,
): StoredProfile | undefined {
  if (image === undefined) return undefined;
  let plain: unknown;
  try {
    plain = unmarshall(project(image, fields), { wrapNumbers: false });
  } catch (error) {
    issues.push(
      `${label}: cannot be unmarshalled (${error instanceof Error ? error.message : String(error)})`,
    );
    return undefined;
  }
  const parsed = safeParseStoredProfile(plain, label);
  if (!parsed.ok) {
    issues.push(...parsed.issues);
    return undefined;
  }
  return parsed.value;
}

/**
 * Unmarshalls and validates a DynamoDB Streams record (NEW_AND_OLD_IMAGES). Never throws: a record
 * that cannot be evaluated comes back with `ok: false` and a reason naming the field.
 */
export function parseStreamRecord(
  record: DynamoDBRecord,
  options: ParseStreamRecordOptions = {},
): ParsedStreamRecord | UnparsableStreamRecord {
  const eventId = record.eventID;
  const eventName = record.eventName;
  const data = record.dynamodb;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    return {
      ok: false,
      reason: `eventName: "${String(eventName)}" is not INSERT, MODIFY or REMOVE`,
      eventId,
    };
  }
  if (eventId === undefined || data?.SequenceNumber === undefined) {
    return {
      ok: false,
      reason: 'eventID and dynamodb.SequenceNumber are required in a stream record',
      eventId,
    };
  }
  const issues: string[] = [];
  const oldImage = parseImage(
    data.OldImage as Record<string, AttributeValue> | undefined,
    'dynamodb.OldImage',
    issues,
    options.fields,
  );
  const newImage = parseImage(
    data.NewImage as Record<string, AttributeValue> | undefined,
    'dynamodb.NewImage',
    issues,
    options.fields,
  );
  if (issues.length > 0) return { ok: false, reason: issues.join('; '), eventId };
  const built = buildProfileChange({ eventName, oldImage, newImage });
  if (!built.ok) return { ok: false, reason: describeProblem(built.problem), eventId };
  const created = data.ApproximateCreationDateTime;
  return {
    ok: true,
    change: built.change,
    profileId: built.profileId,
    eventId,
    sequenceNumber: data.SequenceNumber,
    // Lambda delivers seconds (possibly fractional); the local runtime passes the same shape.
    approximateCreationTime: created === undefined ? Date.now() : Math.round(created * 1000),
  };
}

/** How a stream record's problem reads in a reject. */
function describeProblem(problem: ChangeProblem): string {
  switch (problem.kind) {
    case 'no-image':
      return 'dynamodb.NewImage and dynamodb.OldImage are both missing';
    case 'missing-image':
      return `dynamodb.${problem.image === 'newImage' ? 'NewImage' : 'OldImage'} is missing in a ${problem.eventName} record: the table stream must use NEW_AND_OLD_IMAGES`;
    case 'different-profiles':
      return 'dynamodb.OldImage.profileId and dynamodb.NewImage.profileId differ';
  }
}
