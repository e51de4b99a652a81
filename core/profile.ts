import { z } from 'zod';
import { documentValueIssues } from './document-values.js';
import { ProfileValidationError } from './errors.js';
import { BOOKKEEPING_FIELD, FIELD_NAME_PATTERN } from './field-path.js';
import {
  isValidPartitionKey,
  PARTITION_KEY_MAX_LENGTH,
  partitionKeyLength,
  partitionKeyProblem,
} from './partition-key.js';
import { formatIssuePaths, formatZodIssues } from './zod-issues.js';

/** Segment statuses of the source page; `realized` and `existing` mean "member". */
export const SEGMENT_STATUSES = ['realized', 'existing', 'exited'] as const;
export type SegmentStatus = (typeof SEGMENT_STATUSES)[number];

/** ISO-8601 date-time, with `Z`, `+hh:mm` or the page's `+hhmm` offset. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * The profile id is the Kinesis partition key: 1–256 characters as Kinesis counts them
 * (core/partition-key.ts — UTF-16 code units; zod's `max` counts code points and would let 130 emoji
 * through).
 */
const profileIdSchema = z
  .string({ error: 'is required: the profile id, a string of 1–256 characters' })
  .min(1, 'must not be empty')
  .refine((id) => partitionKeyLength(id) <= PARTITION_KEY_MAX_LENGTH, {
    error: (issue) => partitionKeyProblem(String(issue.input)) ?? 'must be a valid Kinesis partition key',
  });

const lastQualificationTimeSchema = z
  .string({ error: 'is required: an ISO-8601 date-time such as 2022-01-11T21:24:39Z' })
  .regex(ISO_DATE_TIME, 'must be an ISO-8601 date-time such as 2022-01-11T21:24:39Z');

/** A segment entry a writer gives: its status must be one the source page names. */
const segmentEntrySchema = z.looseObject({
  status: z.enum(SEGMENT_STATUSES, { error: 'must be one of "realized", "existing", "exited"' }),
  lastQualificationTime: lastQualificationTimeSchema,
});

/**
 * A segment entry of a stored image: any status text. A status the page does not name (`"pending"`)
 * blocks only what it concerns — the destinations that map that segment (core/decide.ts) — and never
 * the image: a writer that bypasses the profile writer can store one on a segment nobody exports.
 */
const storedSegmentEntrySchema = z.looseObject({
  status: z.string({ error: 'is required: the segment status as text, e.g. "realized"' }),
  lastQualificationTime: lastQualificationTimeSchema,
});

const identitySchema = z.looseObject({
  id: z.string({ error: 'is required: the identity value as a string' }).min(1, 'must not be empty'),
  authenticatedState: z.string().optional(),
  primary: z.boolean().optional(),
});

/** `identityMap`: namespace → identities. */
export const identityMapSchema = z.record(
  z.string().regex(FIELD_NAME_PATTERN, 'identity namespaces are field names such as ecid or email_lc_sha256'),
  z.array(identitySchema, { error: 'must be an array of {"id": "…"} objects' }),
);

const segmentIdSchema = z.string().min(1, 'segment ids must not be empty');

/** `segmentMembership` of a written document: namespace (`ups`) → segment id → entry. */
export const segmentMembershipSchema = z.looseObject({
  ups: z.record(segmentIdSchema, segmentEntrySchema).optional(),
});

/** `segmentMembership` of a stored image: as written, but any status text (see the entry schema). */
const storedSegmentMembershipSchema = z.looseObject({
  ups: z.record(segmentIdSchema, storedSegmentEntrySchema).optional(),
});

/** A segment entry of a stored image: `status` may be one the page does not name ({@link isKnownStatus}). */
export type SegmentEntry = z.infer<typeof storedSegmentEntrySchema>;
export type IdentityMap = z.infer<typeof identityMapSchema>;
export type SegmentMembership = z.infer<typeof segmentMembershipSchema>;

/** The writer's bookkeeping, stored under {@link BOOKKEEPING_FIELD}. */
export const bookkeepingSchema = z.object({
  /** Profile version: incremented by every write, so every write is a stream record. */
  v: z.number().int().nonnegative(),
  /** Attribute paths the write that produced this image was given (its leaves, `null` = removal). */
  w: z.array(z.string()),
  /** Epoch milliseconds of that write. */
  at: z.number().int().nonnegative(),
});
export type Bookkeeping = z.infer<typeof bookkeepingSchema>;

/**
 * The profile document upstream services write. `profileId`, `identityMap` and
 * `segmentMembership` have fixed shapes; every other top-level field is a profile attribute.
 */
export const profileSchema = z
  .looseObject({
    profileId: profileIdSchema,
    identityMap: identityMapSchema.optional(),
    segmentMembership: segmentMembershipSchema.optional(),
  })
  .superRefine((profile, ctx) => {
    for (const key of Object.keys(profile)) {
      if (key === BOOKKEEPING_FIELD) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${BOOKKEEPING_FIELD}" is reserved for the profile writer's bookkeeping; rename the field`,
        });
      }
    }
    for (const issue of documentValueIssues(profile)) {
      ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    }
  });

export type Profile = z.infer<typeof profileSchema>;

/**
 * A profile as stored in the table and seen in stream images: the document plus, when written
 * through the profile writer, its bookkeeping. Attribute names are not re-checked here: stored
 * images are validated for their fixed-shape fields only, to keep the hot path proportional
 * to what the decision reads.
 */
export const storedProfileSchema = z.looseObject({
  profileId: profileIdSchema,
  identityMap: identityMapSchema.optional(),
  segmentMembership: storedSegmentMembershipSchema.optional(),
  [BOOKKEEPING_FIELD]: bookkeepingSchema.optional(),
});
export type StoredProfile = z.infer<typeof storedProfileSchema>;

/** Validation outcome that never throws; `fields` are the issues' paths, in the same order. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: string[]; fields?: string[] };

/** Validates a profile document; returns issues named by path instead of throwing. */
export function safeParseProfile(input: unknown, label?: string): ParseResult<Profile> {
  const result = profileSchema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: formatZodIssues(result.error, label) };
}

/** An object zod's record schema accepts as a record: a plain `{}` or a null-prototype object. */
function isRecordLike(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(value).length === 0;
}

/** An object zod's object schema accepts (any non-array object). */
function isObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInt(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isWellFormedIdentityMap(value: unknown): boolean {
  if (!isRecordLike(value)) return false;
  for (const namespace of Object.keys(value)) {
    if (namespace === '__proto__' || !FIELD_NAME_PATTERN.test(namespace)) return false;
    const identities = value[namespace];
    if (!Array.isArray(identities)) return false;
    for (let i = 0; i < identities.length; i++) {
      const identity: unknown = identities[i];
      if (!isObjectLike(identity)) return false;
      if (typeof identity.id !== 'string' || identity.id.length === 0) return false;
      const state = identity.authenticatedState;
      if (state !== undefined && typeof state !== 'string') return false;
      const primary = identity.primary;
      if (primary !== undefined && typeof primary !== 'boolean') return false;
    }
  }
  return true;
}

function isWellFormedSegmentMembership(value: unknown): boolean {
  if (!isObjectLike(value)) return false;
  const ups = value.ups;
  if (ups === undefined) return true;
  if (!isRecordLike(ups)) return false;
  for (const segmentId of Object.keys(ups)) {
    if (segmentId === '__proto__' || segmentId.length === 0) return false;
    const entry = ups[segmentId];
    if (!isObjectLike(entry)) return false;
    // Any status text: one the page does not name is judged where it matters (core/decide.ts).
    if (typeof entry.status !== 'string') return false;
    const time = entry.lastQualificationTime;
    if (typeof time !== 'string' || !ISO_DATE_TIME.test(time)) return false;
  }
  return true;
}

function isWellFormedBookkeeping(value: unknown): boolean {
  // `bookkeepingSchema` strips unknown keys: anything but exactly v, w, at goes through zod.
  if (!isObjectLike(value) || Object.keys(value).length !== 3) return false;
  if (!isNonNegativeInt(value.v) || !isNonNegativeInt(value.at) || !Array.isArray(value.w)) return false;
  const written = value.w;
  for (let i = 0; i < written.length; i++) if (typeof written[i] !== 'string') return false;
  return true;
}

/**
 * True when `input` certainly passes {@link storedProfileSchema} unchanged (zod would return an
 * equal copy). A hand-written check of the same rules, about 10× cheaper than the zod parse on a
 * profile with 40 segment memberships; anything it is unsure of returns false and goes to zod,
 * which then decides and names the issues.
 */
function isWellFormedStoredProfile(input: unknown): input is StoredProfile {
  if (!isObjectLike(input)) return false;
  const id = input.profileId;
  if (typeof id !== 'string' || !isValidPartitionKey(id)) return false;
  if (input.identityMap !== undefined && !isWellFormedIdentityMap(input.identityMap)) return false;
  if (input.segmentMembership !== undefined && !isWellFormedSegmentMembership(input.segmentMembership))
    return false;
  const bookkeeping = input[BOOKKEEPING_FIELD];
  return bookkeeping === undefined || isWellFormedBookkeeping(bookkeeping);
}

/**
 * Validates a stored profile image (a stream image); returns issues instead of throwing.
 * Well-formed images take a fast path (the decide function's hot path); the rest go through zod.
 */
export function safeParseStoredProfile(input: unknown, label?: string): ParseResult<StoredProfile> {
  if (isWellFormedStoredProfile(input)) return { ok: true, value: input };
  const result = storedProfileSchema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : {
        ok: false,
        issues: formatZodIssues(result.error, label),
        fields: formatIssuePaths(result.error, label),
      };
}

/**
 * Validates a profile document.
 * @throws ProfileValidationError naming each invalid field.
 */
export function parseProfile(input: unknown, label?: string): Profile {
  const result = safeParseProfile(input, label);
  if (!result.ok) throw new ProfileValidationError(result.issues);
  return result.value;
}

/** True when a segment status means the profile is a member. */
export function isMemberStatus(status: string | undefined): status is 'realized' | 'existing' {
  return status === 'realized' || status === 'existing';
}

/** True for a status the source page names (`realized`, `existing`, `exited`). */
export function isKnownStatus(status: string): status is SegmentStatus {
  return status === 'realized' || status === 'existing' || status === 'exited';
}
