/**
 * The simulation's clock: a binary min-heap of events by time, ties in insertion order, and a
 * seeded random source. Pure and deterministic.
 */

/** An event: when, what, and two integer arguments. */
export interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly kind: number;
  readonly a: number;
  readonly b: number;
}

/** Events in time order (insertion order among equal times). */
export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  /** Number of pending events. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules an event. */
  push(at: number, kind: number, a = 0, b = 0): void {
    const event: SimEvent = { at, seq: this.seq++, kind, a, b };
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as SimEvent;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  /** Removes and returns the earliest event, or undefined. */
  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const left = heap[l] as SimEvent;
      const right = r < n ? (heap[r] as SimEvent) : undefined;
      const child = right !== undefined && before(right, left) ? r : l;
      const c = heap[child] as SimEvent;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** A well-mixed 32-bit hash of an integer and a salt (which shard or lane a profile goes to). */
export function mix(value: number, salt: number): number {
  let h = Math.imul(value ^ salt, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** The `p`-th percentile (0–100) of sorted values, nearest rank; NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
