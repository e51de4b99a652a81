/**
 * Where the console's funnel panel gets its numbers: one small interface, {@link FunnelSource}, that
 * answers with the `kinesis-destination status --json` object. The local stack's own funnel (the
 * metrics the handlers emit, collected by the local runtime) plugs in here; until it does, the
 * console uses {@link ObservedFunnelSource}, which counts what the console itself sees.
 */
import type { CountsByReason, FunnelDestination, FunnelReport } from './api-types.js';

export type { FunnelDestination, FunnelReport } from './api-types.js';

/** Options of {@link FunnelSource.funnel}. */
export interface FunnelQuery {
  /** The window: the last `sinceMs` milliseconds. */
  readonly sinceMs: number;
  /** Only this destination. */
  readonly destination?: string;
}

/** Anything that answers with the funnel per destination over a window. */
export interface FunnelSource {
  /** A short description for the page ("metrics of the local runtime", "observed by the console"). */
  readonly description: string;
  funnel(query: FunnelQuery): Promise<FunnelReport>;
}

/** One thing the console saw happen, with when. */
export type ObservedEvent =
  | { readonly t: number; readonly kind: 'evaluated'; readonly count: number }
  | { readonly t: number; readonly kind: 'exported'; readonly destination: string; readonly reason: string }
  | {
      readonly t: number;
      readonly kind: 'retried' | 'deadLettered' | 'redriven';
      readonly destination: string;
    }
  | {
      readonly t: number;
      readonly kind: 'delivered';
      readonly destination: string;
      readonly latencyMs?: number;
    };

/** At most this many events are kept (the oldest are dropped): a local session, not a history. */
const MAX_EVENTS = 200_000;

/** The value at percentile `p` (nearest rank) of sorted values, or null for none. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

function add(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/**
 * The funnel as the console can see it without the pipeline's metrics — an adapter until the local
 * runtime's funnel is wired in (the integrator replaces it with that source):
 *
 * - `evaluated`: distinct stream records the decide function was invoked with (every destination
 *   evaluates every record);
 * - `exported` by reason: distinct export messages the export function received, under their first
 *   reason (so the reasons add up to the exports);
 * - `delivered`: records read from the destination stream; latency from the export's queuing (the
 *   decide function's time, just after the write) to the console reading the record, first attempts only;
 * - `retried`: export messages received again (the local runtime also counts a receive it held back);
 * - `deadLettered`: distinct messages seen in the dead-letter queue; `redriven`: dead-lettered
 *   exports received again by the export function;
 * - `skipped` and `rejected`: not visible to the console, so empty.
 */
export class ObservedFunnelSource implements FunnelSource {
  readonly description = 'observed by the console (handler invocations, stream records, DLQ listings)';
  private readonly events: ObservedEvent[] = [];

  /**
   * @param destinationIds the config's destinations (known once the local stack has loaded it).
   */
  constructor(
    private readonly destinationIds: () => readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an event (the observer and the record feed call this). */
  record(event: ObservedEvent): void {
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** The funnel over the window, one entry per destination of the config. */
  async funnel(query: FunnelQuery): Promise<FunnelReport> {
    const to = this.now();
    const from = to - query.sinceMs;
    const ids = this.destinationIds().filter(
      (id) => query.destination === undefined || id === query.destination,
    );
    const rows = new Map(ids.map((id) => [id, emptyRow(id)]));
    const latencies = new Map<string, number[]>(ids.map((id) => [id, []]));
    let evaluated = 0;
    for (const e of this.events) {
      if (e.t < from || e.t > to) continue;
      if (e.kind === 'evaluated') {
        evaluated += e.count;
        continue;
      }
      const row = rows.get(e.destination);
      if (row === undefined) continue;
      if (e.kind === 'exported') add(row.exported, e.reason);
      else if (e.kind === 'delivered') {
        row.delivered += 1;
        if (e.latencyMs !== undefined) latencies.get(e.destination)?.push(e.latencyMs);
      } else row[e.kind] += 1;
    }
    const destinations = [...rows.values()].map((row): FunnelDestination => {
      const sorted = [...(latencies.get(row.id) ?? [])].sort((a, b) => a - b);
      return {
        ...row,
        evaluated,
        latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? null },
      };
    });
    return { window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, destinations };
  }
}

interface MutableRow {
  id: string;
  exported: Record<string, number>;
  skipped: CountsByReason;
  rejected: CountsByReason;
  delivered: number;
  retried: number;
  deadLettered: number;
  redriven: number;
  alarms: string[];
}

function emptyRow(id: string): MutableRow {
  return {
    id,
    exported: {},
    skipped: {},
    rejected: {},
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    redriven: 0,
    alarms: [],
  };
}
