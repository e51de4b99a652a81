/**
 * The state table's records, owned here and nowhere else: each key prefix and key builder, each
 * record's schema as stored (zod; the types are `z.infer` of them), one parse function per record
 * type that takes the stored item as unknown, and the expiry (TTL) rules. Pure: the I/O is
 * adapters/state-table.ts (ledger, destination states, failure records) and
 * adapters/backfill-checkpoints.ts (checkpoints and completion markers), and docs/ARCHITECTURE.md's
 * "State table" is rendered from {@link STATE_RECORDS} (test/repo/architecture-doc.test.ts).
 */
import { z } from 'zod';
import { StateRecordError } from './errors.js';
import { PIPELINE_SETTINGS } from './pipeline-settings.js';
import { LEDGER_HORIZON_MS, type LedgerEntry } from './staleness.js';
import { formatZodIssues } from './zod-issues.js';

/** The table's key and TTL attributes (lib/kinesis-destination-defaults.ts, STATE_TABLE_PROPS). */
export const STATE_TABLE_ATTRIBUTE = { partitionKey: 'pk', timeToLive: 'ttl' } as const;

/** Every key prefix of the state table: one record type each (the backfill's has three key shapes). */
export const STATE_KEY_PREFIX = {
  delivered: 'delivered#',
  destination: 'destination#',
  failure: 'failure#',
  backfill: 'backfill#',
} as const;

const P = STATE_KEY_PREFIX;

// --- Keys ----------------------------------------------------------------------------------------

/** Key of the delivery ledger entry of one destination and profile. */
export const deliveredKey = (destinationId: string, profileId: string): string =>
  `${P.delivered}${destinationId}#${profileId}`;

/** Key of a destination's ledger state (last failure mark, backfill window). */
export const destinationKey = (destinationId: string): string => `${P.destination}${destinationId}`;

/** Key of the failure record of one export. */
export const failureKey = (exportId: string): string => `${P.failure}${exportId}`;

/** The export id of a failure record's key, or undefined for a key of another record type. */
export function exportIdOfFailureKey(key: string): string | undefined {
  return key.startsWith(P.failure) ? key.slice(P.failure.length) : undefined;
}

/** The key of a backfill's checkpoint: the destination and its segments, sorted, without duplicates. */
export function checkpointKey(destinationId: string, segmentIds: readonly string[]): string {
  return `${P.backfill}${destinationId}#${[...new Set(segmentIds)].sort().join(',')}`;
}

/** The checkpoint of a deploy's backfill: one scan for every (destination, segment) pair it newly maps. */
export const DEPLOY_CHECKPOINT_KEY = `${P.backfill}deploy`;

/** The key of a (destination, segment) pair's completion marker. */
export function pairMarkerKey(pair: { readonly destinationId: string; readonly segmentId: string }): string {
  return `${P.backfill}done#${pair.destinationId}#${pair.segmentId}`;
}

// --- Expiry --------------------------------------------------------------------------------------

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Expiry (epoch seconds) of a ledger entry or destination state written at `now`: the ledger's
 * horizon, {@link LEDGER_HORIZON_MS} (how long a failed export can still come back), after the write.
 */
export function ledgerTtl(now: number): number {
  return seconds(now + LEDGER_HORIZON_MS);
}

/** Expiry of a destination state whose backfill window is open until `until`: not before it closes. */
export function backfillWindowTtl(now: number, until: number): number {
  return Math.max(ledgerTtl(now), seconds(until));
}

/** Expiry of a failure record: the ledger's horizon (at least the ledger's TTL setting) after its last failure. */
export function failureRecordTtl(lastFailureAt: number): number {
  return seconds(lastFailureAt) + Math.max(PIPELINE_SETTINGS.ledger.ttlSeconds, LEDGER_HORIZON_MS / 1000);
}

/** Checkpoints live this long after their last update; completion markers never expire. */
export const CHECKPOINT_TTL_SECONDS = 30 * 24 * 60 * 60;

/** Expiry of a checkpoint updated at `now`. */
export function checkpointTtl(now: number): number {
  return seconds(now) + CHECKPOINT_TTL_SECONDS;
}

// --- Records as stored -----------------------------------------------------------------------------

const epochMs = (what: string) => z.number().describe(what);
const ttl = z.number().describe('expiry, epoch seconds');

/** A ledger entry as stored (`delivered#…`); read with {@link parseLedgerEntry}. */
export const ledgerItemSchema = z.object({
  pk: z.string(),
  pending: z.array(z.string()).describe('export ids, in the order they failed'),
  retired: z.array(z.string()).describe('export ids, at most 200'),
  v: z.number().optional().describe('the highest version delivered while tracked'),
  liveAt: z.number().optional().describe('source time of the last live delivery in a backfill window'),
  at: epochMs('time of the write'),
  ttl,
});

/** A destination's ledger state as stored (`destination#…`); read with {@link parseDestinationState}. */
export const destinationStateItemSchema = z.object({
  pk: z.string(),
  markedAt: z.number().optional().describe('when an export of the destination last failed'),
  windowUntil: z.number().optional().describe('until when a backfill window is open'),
  ttl,
});

/** A failure record as stored (`failure#…`); read with {@link parseFailureRecord}. */
export const failureItemSchema = z.object({
  pk: z.string(),
  exportId: z.string(),
  destinationId: z.string(),
  profileId: z.string(),
  code: z.string().describe('the last error code'),
  message: z.string().describe('the last error message, at most 1,000 characters'),
  attempts: z
    .number()
    .int()
    .min(0)
    .describe(
      'real put attempts of the current life of the message (messageId); the export function dead-letters at 3',
    ),
  messageId: z
    .string()
    .optional()
    .describe(
      'the SQS message id of the life the attempts count (a redriven copy is a new message, counted from 0)',
    ),
  firstFailureAt: epochMs('kept from the first failure'),
  lastFailureAt: epochMs('the last failure'),
  ttl,
});

const segmentCheckpointSchema = z.object({
  /** The scan's LastEvaluatedKey (JSON of the raw key), absent before the first page. */
  lastKey: z.string().optional(),
  done: z.boolean(),
  scanned: z.number(),
  queued: z.number(),
});

const checkpointTargetSchema = z.object({ destinationId: z.string(), segmentIds: z.array(z.string()) });

/** A backfill's checkpoint as stored (`backfill#<destination>#<segments>` or `backfill#deploy`). */
export const checkpointItemSchema = z.object({
  pk: z.string(),
  runId: z.string(),
  destinationId: z.string().describe('a deploy scan: its destinations, comma-separated'),
  segmentIds: z.array(z.string()).describe('sorted'),
  targets: z.array(checkpointTargetSchema).optional().describe('a deploy scan: each destination'),
  totalSegments: z.number().int().min(1).describe('parallel-scan segments'),
  workers: z.number().int().min(1).optional().describe('invocations sharing the scan'),
  status: z.enum(['running', 'completed']),
  startedAt: z.number(),
  updatedAt: z.number(),
  completedAt: z.number().optional(),
  segments: z
    .record(z.string(), segmentCheckpointSchema)
    .describe('per scan segment: `LastEvaluatedKey`, done, counts'),
  ttl,
});

/** A (destination, segment) pair a deploy maps, with the run id its mapping gets. */
export const backfillPairSchema = z.object({
  destinationId: z.string(),
  segmentId: z.string(),
  runId: z.string(),
});

/** A pair's completion marker as stored (`backfill#done#…`): no expiry. */
export const pairMarkerItemSchema = backfillPairSchema.extend({
  pk: z.string(),
  completedAt: epochMs('when the scan that covered it completed'),
});

/** One scan segment's progress. */
export type SegmentCheckpoint = z.infer<typeof segmentCheckpointSchema>;
/** One destination and the segments a deploy's scan backfills for it. */
export type CheckpointTarget = z.infer<typeof checkpointTargetSchema>;
/** A backfill's checkpoint. A stopped run resumes from it; a newer run of the same backfill replaces it. */
export type BackfillCheckpoint = z.infer<typeof checkpointItemSchema>;
/** One (destination, segment) pair a deploy newly maps. */
export type BackfillPair = z.infer<typeof backfillPairSchema>;
/** A pair's completion marker. */
export type PairMarker = z.infer<typeof pairMarkerItemSchema>;
/** The last failure of an export, as `dlq list` shows it (the stored item without its key and TTL). */
export type FailureRecord = Omit<z.infer<typeof failureItemSchema>, 'pk' | 'ttl'>;

/** A failure of an export, as the state table's `recordFailure` takes it. */
export interface FailureInput extends Omit<FailureRecord, 'attempts' | 'firstFailureAt' | 'messageId'> {
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

// --- Parsing ---------------------------------------------------------------------------------------

const field = <T>(schema: z.ZodType<T>, value: unknown): T | undefined => {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};
const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const itemOf = (item: unknown): Record<string, unknown> =>
  typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};

/**
 * A stored ledger entry, field by field: a field that is absent or of the wrong type reads as absent
 * (an entry written before the ledger tracked failures holds `v` only). Never throws: the export
 * function reads many entries at once, and one damaged item must not fail the others' exports.
 */
export function parseLedgerEntry(item: unknown): LedgerEntry {
  const i = itemOf(item);
  const version = field(z.number(), i.v);
  const liveAt = field(z.number(), i.liveAt);
  return {
    pending: stringList(i.pending),
    retired: stringList(i.retired),
    ...(version !== undefined && { version }),
    ...(liveAt !== undefined && { liveAt }),
  };
}

/** The item that stores a ledger entry written at `now`. */
export function ledgerItem(key: string, entry: LedgerEntry, now: number): z.input<typeof ledgerItemSchema> {
  return {
    pk: key,
    pending: [...entry.pending],
    retired: [...entry.retired],
    ...(entry.version !== undefined && { v: entry.version }),
    ...(entry.liveAt !== undefined && { liveAt: entry.liveAt }),
    at: now,
    ttl: ledgerTtl(now),
  };
}

/** A stored destination state, field by field as {@link parseLedgerEntry} reads an entry. Never throws. */
export function parseDestinationState(item: unknown): DestinationState {
  const i = itemOf(item);
  const markedAt = field(z.number(), i.markedAt);
  const windowUntil = field(z.number(), i.windowUntil);
  return {
    ...(markedAt !== undefined && { markedAt }),
    ...(windowUntil !== undefined && { windowUntil }),
  };
}

/** A parsed failure record, or what is wrong with the stored item. */
export type FailureRecordResult =
  | { readonly ok: true; readonly record: FailureRecord }
  | { readonly ok: false; readonly problem: string };

/**
 * A stored failure record. Its export id is the key's (a record written without `exportId` still
 * reads); any other field missing or of the wrong type makes it unreadable, with the problem named.
 */
export function parseFailureRecord(item: unknown): FailureRecordResult {
  const i = itemOf(item);
  const key = typeof i.pk === 'string' ? i.pk : '';
  const exportId = exportIdOfFailureKey(key);
  if (exportId === undefined) {
    return { ok: false, problem: `"${key}" is not a failure record's key (${P.failure}<exportId>)` };
  }
  const parsed = failureItemSchema.omit({ pk: true, ttl: true }).safeParse({ ...i, exportId });
  return parsed.success
    ? { ok: true, record: parsed.data }
    : {
        ok: false,
        problem: `failure record ${key} is malformed: ${formatZodIssues(parsed.error).join('; ')}`,
      };
}

/**
 * A stored checkpoint, or undefined when there is none.
 * @throws StateRecordError naming the key, each malformed field, and how to start the backfill afresh.
 */
export function parseCheckpoint(item: unknown): BackfillCheckpoint | undefined {
  return item === undefined ? undefined : parseStored(checkpointItemSchema, item, 'backfill checkpoint');
}

/**
 * A stored completion marker, or undefined when there is none.
 * @throws StateRecordError as {@link parseCheckpoint}.
 */
export function parsePairMarker(item: unknown): PairMarker | undefined {
  return item === undefined
    ? undefined
    : parseStored(pairMarkerItemSchema, item, 'backfill completion marker');
}

function parseStored<T>(schema: z.ZodType<T>, item: unknown, what: string): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const key = String(itemOf(item).pk ?? '(no pk)');
  throw new StateRecordError(
    `${what} ${key} in the state table is malformed: ${formatZodIssues(parsed.error).join('; ')}; delete the item to start the backfill afresh`,
  );
}

/** A new run's checkpoint: every scan segment at its start. */
export function newCheckpoint(run: {
  readonly runId: string;
  readonly destinationId: string;
  /** Sorted, without duplicates. */
  readonly segmentIds: string[];
  readonly totalSegments: number;
  readonly at: number;
  /** @default checkpointKey(destinationId, segmentIds) */
  readonly pk?: string;
  readonly targets?: CheckpointTarget[];
  readonly workers?: number;
}): BackfillCheckpoint {
  return {
    pk: run.pk ?? checkpointKey(run.destinationId, run.segmentIds),
    runId: run.runId,
    destinationId: run.destinationId,
    segmentIds: run.segmentIds,
    ...(run.targets !== undefined && { targets: run.targets }),
    totalSegments: run.totalSegments,
    ...(run.workers !== undefined && run.workers > 1 && { workers: run.workers }),
    status: 'running',
    startedAt: run.at,
    updatedAt: run.at,
    segments: Object.fromEntries(
      Array.from({ length: run.totalSegments }, (_, i) => [
        String(i),
        { done: false, scanned: 0, queued: 0 },
      ]),
    ),
    ttl: checkpointTtl(run.at),
  };
}

// --- What the docs show ----------------------------------------------------------------------------

/** One row of docs/ARCHITECTURE.md's state-table table. */
export interface StateRecordDescription {
  /** The key's shape. */
  readonly key: string;
  /** The stored item's schema: its attributes (with their descriptions) are the row's second column. */
  readonly schema: z.ZodObject;
  readonly meaning: string;
}

/** Every record type of the state table, in the docs' order. */
export const STATE_RECORDS: readonly StateRecordDescription[] = [
  {
    key: deliveredKey('<destinationId>', '<profileId>'),
    schema: ledgerItemSchema,
    meaning:
      "the delivery ledger of a profile with a failure (`core/staleness.ts`): exports still pending, exports a later delivery retired (skipped if they come back), the highest version delivered while tracked, the last live delivery in a backfill window. Written only when an export fails, is put while others are pending, or is delivered live in a backfill window; kept the DLQ's retention plus the export queue's, plus a day, after the last write",
  },
  {
    key: destinationKey('<destinationId>'),
    schema: destinationStateItemSchema,
    meaning:
      "when an export of the destination last failed (the export function then reads its profiles' entries), and until when a backfill window is open (opened by the backfill, kept open by the export function while backfill exports flow). Read, strongly consistent, once per export invocation; kept as long as ledger entries, and at least until the window closes",
  },
  {
    key: failureKey('<exportId>'),
    schema: failureItemSchema,
    meaning:
      "last failure of an export and its real put attempts in its current life in the queue (`messageId`: a redriven copy counts from zero), added one by one atomically (`ADD`); the export function's last-attempt rule reads it. `dlq list` joins it for messages the queue's redrive policy moved (the function attaches the failure to the ones it moves). Kept as long as ledger entries after the last failure",
  },
  {
    key: checkpointKey('<destinationId>', ['<segment ids, sorted, joined by ",">']),
    schema: checkpointItemSchema,
    meaning: 'resumable backfill (CLI); kept 30 days after its last update',
  },
  {
    key: DEPLOY_CHECKPOINT_KEY,
    schema: checkpointItemSchema,
    meaning:
      "the same, for a deploy's one scan: its destinations and segments (`targets`), scan segments, workers (a newer deploy's scan replaces it)",
  },
  {
    key: pairMarkerKey({ destinationId: '<destinationId>', segmentId: '<segmentId>' }),
    schema: pairMarkerItemSchema,
    meaning: 'a deploy does not backfill a pair twice (no expiry)',
  },
];
