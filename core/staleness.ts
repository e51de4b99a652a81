/**
 * The staleness rule of the delivery ledger: which exports of one destination and profile must be
 * skipped so that, after any redrive, the last record of the profile in its stream is its latest
 * export — for every writer, versioned (`__kd.v`) or not. Pure: the export function loads and
 * stores the ledger entry (`adapters/state-table.ts`) and applies these functions.
 *
 * What is guaranteed, and what the rule stands on:
 * - The export queue is FIFO per destination and profile: a group's message is handed out only after
 *   the one before it left the queue (deleted, or moved to the dead-letter queue). So an export that
 *   is put for the first time (never dead-lettered) is newer, in the profile's stream order, than
 *   every export of the group that failed before it was handed out.
 * - An export can only become stale by failing — sitting in the dead-letter queue, or being retried —
 *   while a later export of the group is delivered. So the ledger only tracks a group once one of its
 *   exports failed (or is on a retry): it keeps the *pending* exports, in the order they first failed
 *   (which is their stream order), and the exports a later delivery *superseded*.
 * - Delivering an export supersedes every pending export before it: all of them for an export put
 *   the first time, and the ones that failed before it for a redriven one (it is pending itself). A
 *   superseded export that comes back (redriven by `dlq redrive` or StartMessageMoveTask) is skipped,
 *   and so is a second copy of a pending export once one was delivered.
 * - While a group has pending exports, an export is entered in the list *before* it is put (write
 *   ahead), so a crash between its put and the ledger write cannot lose the supersession: the export
 *   is still in the queue, is put again, and then supersedes them.
 *
 * No DynamoDB Streams sequence number is compared: AWS does not document that one item's sequence
 * numbers keep increasing across a shard split. Versions (`__kd.v`), when a writer gives them, are an
 * extra check, never required.
 */

import { PIPELINE_SETTINGS } from './pipeline-settings.js';

/**
 * How long a failed export can still come back to the export queue: the dead-letter queue's
 * retention plus the export queue's (a redrive resets the retention), plus a day. Ledger entries,
 * failure marks and failure records live this long after their last write.
 */
export const LEDGER_HORIZON_MS =
  (PIPELINE_SETTINGS.deadLetterQueue.retentionSeconds + PIPELINE_SETTINGS.exportQueue.retentionSeconds) *
    1000 +
  86_400_000;

/**
 * A backfill window stays open this long after the last backfill export the export function saw (or
 * after the backfill opened it): the backfill's exports are judged against the live deliveries
 * recorded meanwhile. A backfill export handed out after its window closed (an export queue stalled
 * for longer) is put as it is, and logged.
 */
export const BACKFILL_WINDOW_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * How close to a backfill export's scan time a recorded live change must be for the backfill export
 * to count as stale, for a writer without versions: the stream's creation time is rounded down to the
 * second on AWS, a scan page is read over some milliseconds, and a scan is eventually consistent.
 */
export const BACKFILL_STALE_MARGIN_MS = 5_000;

/** The delivery ledger's entry of one destination and profile (key: core/state-records.ts, `deliveredKey`). */
export interface LedgerEntry {
  /**
   * Export ids that failed (or were handed out again) and were neither delivered nor superseded since,
   * oldest first: the order they first failed in, which is the profile's stream order.
   */
  readonly pending: readonly string[];
  /**
   * Export ids that may not be put again, newest last: superseded by a later delivery, or delivered
   * after they had failed (the dead-letter queue can hold a message twice). Skipped if they come back.
   */
  readonly retired: readonly string[];
  /** The highest profile version delivered while the group was tracked; absent when none. */
  readonly version?: number;
  /**
   * Source time (epoch ms) of the last live export delivered while a backfill window was open:
   * a backfill export scanned before it is stale.
   */
  readonly liveAt?: number;
}

/** What the rule needs of one export message. */
export interface ExportFacts {
  readonly exportId: string;
  /** The writer's `__kd.v`; 0 for a change made without the profile writer. */
  readonly profileVersion: number;
  /** SQS's ApproximateReceiveCount of this delivery of the message: 2 or more is a retry. */
  readonly receiveCount: number;
  /** A backfill export: it may carry the delivered version again, with newly mapped segments. */
  readonly backfill: boolean;
  /** The change's time (epoch ms); a backfill export's: when its page was scanned. */
  readonly sourceTime: number;
}

/** What to do with an export. */
export type Judgement = 'put' | 'superseded' | 'repeat';

/**
 * At most this many retired ids are kept per profile (the oldest go first), which bounds the
 * entry's size — and the write units each write of it costs — at about 9 KB.
 */
export const MAX_RETIRED = 200;

/** A ledger entry with nothing tracked. */
export const EMPTY_ENTRY: LedgerEntry = { pending: [], retired: [] };

/**
 * Whether to put an export or skip it:
 * - `superseded` — a later export of the profile was delivered since this one failed, or it was
 *   delivered itself since (it is retired); or, for a versioned writer, a newer version was delivered while tracked; or it
 *   is a backfill export of a writer without versions, scanned before (or within
 *   {@link BACKFILL_STALE_MARGIN_MS} of) a live change delivered while its window was open;
 * - `repeat` — the same version was delivered while tracked and this is not a backfill export (SQS
 *   handed out again a message whose put succeeded);
 * - `put` — otherwise.
 */
export function judgeExport(facts: ExportFacts, entry: LedgerEntry): Judgement {
  if (entry.retired.includes(facts.exportId)) return 'superseded';
  if (
    facts.backfill &&
    facts.profileVersion === 0 &&
    entry.liveAt !== undefined &&
    entry.liveAt >= facts.sourceTime - BACKFILL_STALE_MARGIN_MS
  )
    return 'superseded';
  const version = entry.version;
  if (facts.profileVersion > 0 && version !== undefined) {
    if (facts.profileVersion < version) return 'superseded';
    if (facts.profileVersion === version && !facts.backfill && !entry.pending.includes(facts.exportId))
      return 'repeat';
  }
  return 'put';
}

/**
 * Whether the export must be entered in the pending list before it is put: the group has pending
 * exports (its delivery will supersede them), or the message is on a retry (the attempt before may
 * have crashed without a trace, and may be dead-lettered by the queue itself after this one).
 */
export function needsWriteAhead(facts: ExportFacts, entry: LedgerEntry): boolean {
  if (entry.pending.includes(facts.exportId)) return false;
  return entry.pending.length > 0 || facts.receiveCount >= 2;
}

/** The entry with the export appended to the pending list (unchanged when it is already there). */
export function withPending(entry: LedgerEntry, exportId: string): LedgerEntry {
  if (entry.pending.includes(exportId)) return entry;
  return { ...entry, pending: [...entry.pending, exportId] };
}

/**
 * The entry after the export was delivered: it leaves the pending list, and every export pending
 * before it is superseded — every pending export when it was not pending itself (an export put the
 * first time is newer than all of them). The superseded ones and the delivered one, if it was pending,
 * are retired. A versioned export raises the recorded version.
 */
export function afterDelivery(entry: LedgerEntry, facts: ExportFacts): LedgerEntry {
  const index = entry.pending.indexOf(facts.exportId);
  const done = index < 0 ? entry.pending : entry.pending.slice(0, index + 1);
  const pending = index < 0 ? [] : entry.pending.slice(index + 1);
  const retired = [...entry.retired.filter((id) => !done.includes(id)), ...done].slice(-MAX_RETIRED);
  const version =
    facts.profileVersion > 0 ? Math.max(entry.version ?? 0, facts.profileVersion) : entry.version;
  return {
    pending,
    retired,
    ...(version !== undefined && { version }),
    ...(entry.liveAt !== undefined && { liveAt: entry.liveAt }),
  };
}

/**
 * True when the two entries hold the same pending and retired lists: nothing the rule needs has
 * changed (a version raised alone is not worth a write).
 */
export function sameLists(a: LedgerEntry, b: LedgerEntry): boolean {
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((id, i) => id === y[i]);
  return same(a.pending, b.pending) && same(a.retired, b.retired);
}

/**
 * Whether the export function must read a group's entry before putting: the message is on a retry,
 * or an export of its destination failed recently enough that one of its messages may still be in
 * the dead-letter queue or on its way back from it (`horizonMs`: the DLQ's retention plus the export
 * queue's). Otherwise no entry of the destination tracks anything that can still come back.
 */
export function needsLedger(
  facts: Pick<ExportFacts, 'receiveCount'>,
  destinationMarkedAt: number | undefined,
  now: number,
  horizonMs: number,
): boolean {
  if (facts.receiveCount >= 2) return true;
  return destinationMarkedAt !== undefined && now - destinationMarkedAt <= horizonMs;
}
