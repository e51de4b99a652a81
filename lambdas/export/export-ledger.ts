import type { DestinationState, LiveDelivery, StateTable } from '../../adapters/state-table.js';
import {
  afterDelivery,
  BACKFILL_WINDOW_GRACE_MS,
  EMPTY_ENTRY,
  type Judgement,
  judgeExport,
  LEDGER_HORIZON_MS,
  type LedgerEntry,
  needsLedger,
  needsWriteAhead,
  sameLists,
  withPending,
} from '../../core/staleness.js';
import type { ExportItem, PuttableItem } from './export-items.js';

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
  private readonly failures: PuttableItem[] = [];

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
    const keys = items.flatMap((i) =>
      i.kind === 'puttable' &&
      (i.facts.backfill ||
        needsLedger(i.facts, states.get(i.message.destinationId)?.markedAt, now(), LEDGER_HORIZON_MS))
        ? [i.key]
        : [],
    );
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

  private entry(key: string): LedgerEntry {
    return this.current.get(key) ?? EMPTY_ENTRY;
  }

  /** Whether a backfill window is open for the destination now. */
  windowOpen(destinationId: string): boolean {
    const until = this.destinations.get(destinationId)?.windowUntil;
    return until !== undefined && until >= this.now();
  }

  /** Put, or skip as superseded or as a repeat (core/staleness.ts, `judgeExport`). */
  judge(item: PuttableItem): Judgement {
    return judgeExport(item.facts, this.entry(item.key));
  }

  /**
   * Enters each export that needs it in its group's pending list and writes those entries, before
   * the exports are put (core/staleness.ts, `needsWriteAhead`).
   * @throws the state table's error (nothing of these exports may then be put).
   */
  async writeAhead(items: readonly PuttableItem[]): Promise<void> {
    const keys: string[] = [];
    for (const item of items) {
      const entry = this.entry(item.key);
      if (!needsWriteAhead(item.facts, entry)) continue;
      this.current.set(item.key, withPending(entry, item.facts.exportId));
      keys.push(item.key);
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

  /** True when delivering the export owes no ledger write (its group is not tracked, no live window). */
  owesNothing(item: PuttableItem): boolean {
    return (
      !this.current.has(item.key) && (item.facts.backfill || !this.windowOpen(item.message.destinationId))
    );
  }

  /**
   * Notes a delivery: its entry moves on (the exports it supersedes), and a live delivery in a
   * backfill window is recorded. Returns true when the delivery owes a ledger write.
   */
  delivered(item: PuttableItem): boolean {
    const tracked = this.current.get(item.key);
    const window = !item.facts.backfill && this.windowOpen(item.message.destinationId);
    if (tracked !== undefined) {
      let next = afterDelivery(tracked, item.facts);
      if (window) next = { ...next, liveAt: Math.max(next.liveAt ?? 0, item.facts.sourceTime) };
      this.current.set(item.key, next);
      const owes = window || !sameLists(next, this.stored.get(item.key) ?? EMPTY_ENTRY);
      if (owes) this.dirty.add(item.key);
      return owes || this.dirty.has(item.key);
    }
    if (!window) return false;
    this.live.set(item.key, {
      key: item.key,
      sourceTime: item.facts.sourceTime,
      profileVersion: item.facts.profileVersion,
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
    if (item.kind !== 'puttable') return;
    this.failures.push(item);
  }

  /**
   * Writes what the noted deliveries and failures owe, together: the destinations' marks, the
   * changed entries (failed exports join the pending lists, in the order noted) and the live
   * deliveries. Entries of failed exports not read yet are read first, in one call.
   * @throws the state table's error; what was not written is written by the next flush.
   */
  async flush(): Promise<void> {
    const failures = this.failures.splice(0);
    await this.read(failures.map((i) => i.key));
    for (const item of failures) {
      const entry = this.entry(item.key);
      const next = withPending(entry, item.facts.exportId);
      if (next === entry) continue;
      this.current.set(item.key, next);
      this.dirty.add(item.key);
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
