/**
 * In-memory stand-ins of the export function's state table and queues, with the adapters' semantics
 * (core/staleness.ts entries, `destination#` states, failure records that keep their first time),
 * counting reads and writes so tests can hold the cost of the common path.
 */
import type { DeadLetterMove } from '../../../adapters/export-queue.js';
import {
  type DestinationState,
  deliveredKey,
  destinationKey,
  type FailureInput,
  type FailureRecord,
  type LiveDelivery,
} from '../../../adapters/state-table.js';
import { EMPTY_ENTRY, type LedgerEntry } from '../../../core/staleness.js';
import type { ExportDependencies } from '../../../lambdas/export/export-loop.js';

/** A fake state table. */
export function fakeState(
  initial: { entries?: Record<string, LedgerEntry>; destinations?: Record<string, DestinationState> } = {},
) {
  const entries = new Map(Object.entries(initial.entries ?? {}));
  const destinations = new Map(Object.entries(initial.destinations ?? {}));
  /** Every failure recorded, in order, as the table returned it. */
  const failures: FailureRecord[] = [];
  /** The failure record of each export as stored: its life (message id) and attempts. */
  const records = new Map<string, FailureRecord & { messageId: string }>();
  const live: LiveDelivery[] = [];
  const windows: { destinationId: string; until: number }[] = [];
  const stats = { destinationReads: 0, entryReads: 0, entryWrites: 0, marks: 0 };
  /** Calls in order, for tests of what happens before what. */
  const log: string[] = [];
  let unavailable = false;
  const check = () => {
    if (unavailable) throw Object.assign(new Error('table unavailable'), { name: 'ServiceUnavailable' });
  };
  return {
    entries,
    destinations,
    failures,
    records,
    live,
    windows,
    stats,
    log,
    /** Every call fails from now on. */
    breakDown: () => {
      unavailable = true;
    },
    entry: (destinationId: string, profileId: string) => entries.get(deliveredKey(destinationId, profileId)),
    destinationStates: async (ids: readonly string[]) => {
      check();
      stats.destinationReads += ids.length;
      log.push(`read destinations ${ids.join(',')}`);
      return new Map(
        ids.flatMap((id) => (destinations.has(id) ? [[id, destinations.get(id) as DestinationState]] : [])),
      );
    },
    ledgerEntries: async (keys: readonly string[]) => {
      check();
      stats.entryReads += keys.length;
      log.push(`read entries ${keys.join(',')}`);
      return new Map(keys.flatMap((k) => (entries.has(k) ? [[k, entries.get(k) as LedgerEntry]] : [])));
    },
    writeLedgerEntries: async (written: ReadonlyMap<string, LedgerEntry>) => {
      check();
      for (const [k, e] of written) {
        stats.entryWrites++;
        entries.set(k, e);
        log.push(`write ${k} pending=[${e.pending.join(',')}] retired=[${e.retired.join(',')}]`);
      }
    },
    recordLiveDeliveries: async (deliveries: readonly LiveDelivery[]) => {
      check();
      for (const d of deliveries) {
        stats.entryWrites++;
        live.push(d);
        const e = entries.get(d.key) ?? EMPTY_ENTRY;
        entries.set(d.key, {
          ...e,
          liveAt: d.sourceTime,
          ...(d.profileVersion > 0 && { version: d.profileVersion }),
        });
      }
    },
    markDestinations: async (ids: readonly string[]) => {
      check();
      for (const id of ids) {
        stats.marks++;
        log.push(`mark ${id}`);
        destinations.set(id, { ...destinations.get(id), markedAt: 1_500 });
      }
    },
    openBackfillWindow: async (destinationId: string, until: number) => {
      check();
      windows.push({ destinationId, until });
      const current = destinations.get(destinationId);
      if ((current?.windowUntil ?? 0) < until)
        destinations.set(destinationId, { ...current, windowUntil: until });
    },
    /** As the table does it: an attempt adds one to the count of the message's life. */
    recordFailure: async ({ messageId, attempt, ...f }: FailureInput) => {
      check();
      const stored = records.get(f.exportId);
      const sameLife = stored?.messageId === messageId;
      const record = {
        ...f,
        attempts: (sameLife ? stored.attempts : 0) + (attempt ? 1 : 0),
        firstFailureAt: stored?.firstFailureAt ?? f.lastFailureAt,
      };
      records.set(f.exportId, { ...record, messageId });
      failures.push(record);
      log.push(`failure ${f.exportId} ${f.code}${attempt ? ' attempt' : ''}`);
      return record;
    },
    failureAttempts: async (lives: readonly { exportId: string; messageId: string }[]) => {
      check();
      const found = new Map<string, { attempts: number; code: string; message: string }>();
      for (const { exportId, messageId } of lives) {
        const r = records.get(exportId);
        if (r?.messageId === messageId)
          found.set(exportId, { attempts: r.attempts, code: r.code, message: r.message });
      }
      return found;
    },
  };
}

/** The key of {@link destinationKey}, re-exported for tests. */
export { destinationKey };

/** A fake of the export function's own queue calls. */
export function fakeQueue(options: { sendFails?: boolean } = {}) {
  const moves: DeadLetterMove[] = [];
  const deletes: string[][] = [];
  const log: string[] = [];
  return {
    moves,
    deletes,
    log,
    deleteMessages: async (handles: readonly string[]) => {
      deletes.push([...handles]);
      log.push(`delete ${handles.join(',')}`);
      return new Set<string>();
    },
    moveToDeadLetterQueue: async (move: DeadLetterMove) => {
      if (options.sendFails === true) return { outcome: 'not-sent' as const, error: new Error('SQS down') };
      moves.push(move);
      log.push(`move ${move.receiptHandle}`);
      return { outcome: 'moved' as const };
    },
  };
}

/** The state and queue fakes a dependency set was built with. */
export type FakeDependencies = ExportDependencies & {
  readonly state: ReturnType<typeof fakeState>;
  readonly queue: ReturnType<typeof fakeQueue>;
};
