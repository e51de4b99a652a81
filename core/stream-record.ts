import type { DynamoDBRecord } from 'aws-lambda';
import { unmarshallImage } from './attribute-value.js';
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
  /** The field at fault, from the record's root (`dynamodb.NewImage.person.age`), when one is. */
  readonly field?: string;
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

/** What is wrong with an image: the field (from the record's root) and one line per issue. */
interface ImageProblem {
  readonly field: string;
  readonly issues: readonly string[];
}

function parseImage(
  image: unknown,
  label: string,
  fields: ReadonlySet<string> | undefined,
): StoredProfile | ImageProblem | undefined {
  if (image === undefined) return undefined;
  const mapped = unmarshallImage(image, fields === undefined ? {} : { fields });
  if (!mapped.ok) {
    const field = mapped.field === '' ? label : `${label}.${mapped.field}`;
    return { field, issues: [`${field}: ${mapped.reason}`] };
  }
  const parsed = safeParseStoredProfile(mapped.value, label);
  if (!parsed.ok) return { field: parsed.fields?.[0] ?? label, issues: parsed.issues };
  return parsed.value;
}

function isProblem(image: StoredProfile | ImageProblem | undefined): image is ImageProblem {
  return image !== undefined && 'issues' in image && Array.isArray(image.issues);
}

/**
 * Unmarshalls and validates a DynamoDB Streams record (NEW_AND_OLD_IMAGES). Never throws: a record
 * that cannot be evaluated comes back with `ok: false` and a reason naming the field.
 */
export function parseStreamRecord(
  record: DynamoDBRecord,
  options: ParseStreamRecordOptions = {},
): ParsedStreamRecord | UnparsableStreamRecord {
  const eventId = typeof record.eventID === 'string' ? record.eventID : undefined;
  const eventName = record.eventName;
  const data = record.dynamodb;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    return {
      ok: false,
      reason: `eventName: ${typeof eventName === 'string' ? JSON.stringify(eventName) : typeof eventName} is not INSERT, MODIFY or REMOVE`,
      field: 'eventName',
      eventId,
    };
  }
  if (eventId === undefined || typeof data?.SequenceNumber !== 'string') {
    return {
      ok: false,
      reason: 'eventID and dynamodb.SequenceNumber are required in a stream record',
      field: eventId === undefined ? 'eventID' : 'dynamodb.SequenceNumber',
      eventId,
    };
  }
  const oldImage = parseImage(data.OldImage, 'dynamodb.OldImage', options.fields);
  const newImage = parseImage(data.NewImage, 'dynamodb.NewImage', options.fields);
  if (isProblem(oldImage) || isProblem(newImage)) {
    const problems = [oldImage, newImage].filter(isProblem);
    return {
      ok: false,
      reason: problems.flatMap((p) => p.issues).join('; '),
      field: (problems[0] as ImageProblem).field,
      eventId,
    };
  }
  const built = buildProfileChange({ eventName, oldImage, newImage });
  if (!built.ok)
    return { ok: false, reason: describeProblem(built.problem), field: problemField(built.problem), eventId };
  const created = data.ApproximateCreationDateTime;
  return {
    ok: true,
    change: built.change,
    profileId: built.profileId,
    eventId,
    sequenceNumber: data.SequenceNumber,
    // Lambda delivers seconds (possibly fractional); the local runtime passes the same shape.
    approximateCreationTime:
      typeof created === 'number' && Number.isFinite(created) && created >= 0
        ? Math.round(created * 1000)
        : Date.now(),
  };
}

/** The field a stream record's problem is about. */
function problemField(problem: ChangeProblem): string {
  switch (problem.kind) {
    case 'no-image':
      return 'dynamodb.NewImage';
    case 'missing-image':
      return `dynamodb.${problem.image === 'newImage' ? 'NewImage' : 'OldImage'}`;
    case 'different-profiles':
      return 'dynamodb.NewImage.profileId';
  }
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
