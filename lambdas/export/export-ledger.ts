import type { DestinationState, LiveDelivery, StateTable } from '../../adapters/state-table.js';
import {
  afterDelivery,
  BACKFILL_WINDOW_GRACE_MS,
  EMPTY_ENTRY,
  LEDGER_HORIZON_MS,
  type LedgerEntry,
  needsLedger,
  needsWriteAhead,
  sameLists,
  withPending,
} from '../../core/staleness.js';
import type { ExportItem } from './export-items.js';

/** The ledger key and facts of an item's export (every parsed export message has them). */
const exportOf = (item: ExportItem) => item.batch.export;

/** A destination marked this recently is not marked again. */
const MARK_REFRESH_MS = 60 * 60 * 1000;

/** The state-table calls the ledger makes. */
export type LedgerStore = Pick<
  StateTable,
  | 'destinationStates'
  | 'ledgerEntries'
  | 'writeLedgerEntries'
  | 'recordLiveDeliveries'
  | 'markDestinations'
  | 'openBackfillWindow'
>;

/**
 * One invocation's view of the delivery ledger (core/staleness.ts) and the writes it owes.
 *
 * The common path costs one strongly consistent read of each destination's state per invocation
 * and no write: a group's entry is read only when its destination had a failure within the ledger
 * horizon, when the message is on a retry, or for a backfill export; it is written only when an
 * export fails, is put while others are pending, or (live, in a backfill window) is delivered.
 */
export class LedgerSession {
  /** Entries as last read or written, by key (a key absent here was not read: nothing tracked). */
  private readonly stored = new Map<string, LedgerEntry>();
  /** Entries with this invocation's changes. */
  private readonly current = new Map<string, LedgerEntry>();
  /** Keys whose current entry differs from the stored one in what the rule needs. */
  private readonly dirty = new Set<string>();
  private readonly live = new Map<string, LiveDelivery>();
  private readonly marked = new Set<string>();
  /** Failed exports noted since the last flush, in order. */
  private readonly failures: ExportItem[] = [];

  private constructor(
    private readonly store: LedgerStore,
    private readonly destinations: Map<string, DestinationState>,
    private readonly now: () => number,
  ) {}

  /**
   * Reads what the batch needs: every destination's state, then the entries of the groups that may
   * be tracked (see {@link needsLedger}) and of backfill exports.
   * @throws the state table's error: without the ledger no stale export can be told apart.
   */
  static async load(
    items: readonly ExportItem[],
    store: LedgerStore,
    now: () => number,
  ): Promise<LedgerSession> {
    const destinationIds = [
      ...new Set(items.flatMap((i) => (i.message === undefined ? [] : [i.message.destinationId]))),
    ];
    const states = destinationIds.length === 0 ? new Map() : await store.destinationStates(destinationIds);
    const session = new LedgerSession(store, states, now);
    const keys = items.flatMap((i) => {
      const e = exportOf(i);
      if (e === undefined || i.destination === undefined || i.message === undefined) return [];
      const markedAt = states.get(i.message.destinationId)?.markedAt;
      return e.facts.backfill || needsLedger(e.facts, markedAt, now(), LEDGER_HORIZON_MS) ? [e.key] : [];
    });
    await session.read(keys);
    return session;
  }

  private async read(keys: readonly string[]): Promise<void> {
    const missing = [...new Set(keys)].filter((k) => !this.stored.has(k));
    if (missing.length === 0) return;
    const entries = await this.store.ledgerEntries(missing);
    for (const key of missing) {
      const entry = entries.get(key) ?? EMPTY_ENTRY;
      this.stored.set(key, entry);
      this.current.set(key, entry);
    }
  }

  /** The entry of a key as this invocation sees it (empty when it was not read: nothing tracked). */
  entry(key: string): LedgerEntry {
    return this.current.get(key) ?? EMPTY_ENTRY;
  }

  /** Whether a backfill window is open for the destination now. */
  windowOpen(destinationId: string): boolean {
    const until = this.destinations.get(destinationId)?.windowUntil;
    return until !== undefined && until >= this.now();
  }

  /**
   * Enters each export that needs it in its group's pending list and writes those entries, before
   * the exports are put (core/staleness.ts, `needsWriteAhead`).
   * @throws the state table's error (nothing of these exports may then be put).
   */
  async writeAhead(items: readonly ExportItem[]): Promise<void> {
    const keys: string[] = [];
    for (const item of items) {
      const e = exportOf(item);
      if (e === undefined || item.message === undefined) continue;
      const entry = this.entry(e.key);
      if (!needsWriteAhead(e.facts, entry)) continue;
      this.current.set(e.key, withPending(entry, e.facts.exportId));
      keys.push(e.key);
      this.mark(item.message.destinationId);
    }
    await this.flushMarksAnd(this.writeEntries(keys));
  }

  /**
   * Notes that the destination has a pending export: its entries must be read from now on. A mark
   * written in the last hour is fresh enough (the horizon is weeks).
   */
  private mark(destinationId: string): void {
    const markedAt = this.destinations.get(destinationId)?.markedAt;
    if (markedAt === undefined || this.now() - markedAt > MARK_REFRESH_MS) this.marked.add(destinationId);
  }

  private async flushMarksAnd(write: Promise<void>): Promise<void> {
    const marked = [...this.marked];
    await Promise.all([marked.length > 0 ? this.store.markDestinations(marked) : undefined, write]);
    const now = this.now();
    for (const id of marked) {
      this.marked.delete(id);
      this.destinations.set(id, { ...this.destinations.get(id), markedAt: now });
    }
  }

  /**
   * Notes a delivery: its entry moves on (the exports it supersedes), and a live delivery in a
   * backfill window is recorded. Returns true when the delivery owes a ledger write.
   */
  delivered(item: ExportItem): boolean {
    const e = exportOf(item);
    if (e === undefined || item.message === undefined) return false;
    const tracked = this.current.get(e.key);
    const window = !e.facts.backfill && this.windowOpen(item.message.destinationId);
    if (tracked !== undefined) {
      let next = afterDelivery(tracked, e.facts);
      if (window) next = { ...next, liveAt: Math.max(next.liveAt ?? 0, e.facts.sourceTime) };
      this.current.set(e.key, next);
      const owes = window || !sameLists(next, this.stored.get(e.key) ?? EMPTY_ENTRY);
      if (owes) this.dirty.add(e.key);
      return owes || this.dirty.has(e.key);
    }
    if (!window) return false;
    this.live.set(e.key, {
      key: e.key,
      sourceTime: e.facts.sourceTime,
      profileVersion: e.facts.profileVersion,
    });
    return true;
  }

  /**
   * Notes an export that failed, or that is held back on its last receive (the queue will move it
   * itself): it joins its group's pending list, and its destination is marked. Written by {@link flush}.
   */
  failed(item: ExportItem): void {
    if (item.message === undefined) return;
    this.mark(item.message.destinationId);
    if (item.destination === undefined) return;
    this.failures.push(item);
  }

  /**
   * Writes what the noted deliveries and failures owe, together: the destinations' marks, the
   * changed entries (failed exports join the pending lists, in the order noted) and the live
   * deliveries. Entries of failed exports not read yet are read first, in one call.
   * @throws the state table's error; what was not written is written by the next flush.
   */
  async flush(): Promise<void> {
    const noted = this.failures.length;
    const failures = this.failures.slice(0, noted).flatMap((i) => exportOf(i) ?? []);
    await this.read(failures.map((e) => e.key));
    // Entered in the entries now (dirty until written): a failed read above keeps them noted.
    this.failures.splice(0, noted);
    for (const { key, facts } of failures) {
      const entry = this.entry(key);
      const next = withPending(entry, facts.exportId);
      if (next === entry) continue;
      this.current.set(key, next);
      this.dirty.add(key);
    }
    const live = [...this.live.values()];
    await this.flushMarksAnd(
      Promise.all([
        this.writeEntries([...this.dirty]),
        live.length > 0 ? this.store.recordLiveDeliveries(live) : undefined,
      ]).then(() => undefined),
    );
    for (const d of live) this.live.delete(d.key);
  }

  private async writeEntries(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const entries = new Map(keys.map((k) => [k, this.entry(k)]));
    await this.store.writeLedgerEntries(entries);
    for (const [key, entry] of entries) {
      this.stored.set(key, entry);
      this.dirty.delete(key);
    }
  }

  /**
   * Keeps the backfill windows of these destinations open for {@link BACKFILL_WINDOW_GRACE_MS}
   * more: their backfill exports are still flowing.
   * @throws the state table's error.
   */
  async extendWindows(destinationIds: readonly string[]): Promise<void> {
    const until = this.now() + BACKFILL_WINDOW_GRACE_MS;
    await Promise.all([...new Set(destinationIds)].map((id) => this.store.openBackfillWindow(id, until)));
  }
}
