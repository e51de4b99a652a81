/**
 * The export half of the simulation: the FIFO export queue (a group's next message only after the
 * previous one is deleted), the Lambda FIFO event source (≤ `exportBatchSize` messages a batch, at
 * most `exportConcurrency` invocations, never two of one group at once), the export function (its
 * measured time, one PutRecords round per attempt, full-jitter backoff on throttled entries) and the
 * destination streams' limits.
 */
import type { EventQueue } from './event-queue.js';
import type { KinesisBuckets } from './kinesis-buckets.js';
import type { PipelineModel } from './parameters.js';

/** Event kinds of the export stage. */
export const EXPORT_EVENT = { wake: 10, put: 11, done: 12 } as const;

/** What the export stage needs from the simulation. */
export interface ExportHost {
  readonly events: EventQueue;
  readonly random: () => number;
  readonly buckets: KinesisBuckets;
  profileOf(write: number): number;
  /** One export of `write` reached its stream at `at`. */
  delivered(write: number, at: number): void;
}

interface Invocation {
  readonly startedAt: number;
  readonly messages: number[];
  pending: number[];
  attempt: number;
}

/** A time-weighted gauge (queue depth, concurrency). */
export class Gauge {
  value = 0;
  max = 0;
  private area = 0;
  private at = 0;
  /** Moves the gauge by `delta` at time `t`. */
  add(delta: number, t: number): void {
    this.area += this.value * (t - this.at);
    this.at = t;
    this.value += delta;
    this.max = Math.max(this.max, this.value);
  }
  /** The mean value over [0, t]. */
  mean(t: number): number {
    const area = this.area + this.value * (t - this.at);
    return t > 0 ? area / t : 0;
  }
}

/** The FIFO queue, the export mapping and the export function. */
export class ExportStage {
  private readonly writeOf: number[] = [];
  private readonly destOf: number[] = [];
  private readonly visibleAt: number[] = [];
  /** The first message not yet received or parked: messages are sent in the order they become visible. */
  private head = 0;
  /** Messages received again after a failed invocation, with when they become visible. */
  private readonly retries: { message: number; at: number }[] = [];
  /** The message holding each group (received and not yet deleted, or next in line). */
  private readonly locks = new Map<number, number>();
  /** Visible messages waiting behind their group's held message, in order, by group. */
  private readonly parked = new Map<number, number[]>();
  /** Messages their group was handed to when the message before them was deleted: receivable now. */
  private readonly released: number[] = [];
  private readonly invocations = new Map<number, Invocation>();
  private nextInvocation = 0;
  private wakeAt = Number.POSITIVE_INFINITY;
  /** Messages sent and not yet deleted. */
  readonly depth = new Gauge();
  /** Export invocations running. */
  readonly running = new Gauge();
  putCalls = 0;
  failedInvocations = 0;
  /** Export invocations started, and their total duration, ms. */
  invocationCount = 0;
  invocationMs = 0;

  constructor(
    private readonly model: PipelineModel,
    private readonly host: ExportHost,
  ) {}

  /** The decide function sent an export of `write` to destination `dest`, receivable at `at`. */
  enqueue(write: number, dest: number, at: number, now: number): void {
    this.writeOf.push(write);
    this.destOf.push(dest);
    this.visibleAt.push(at);
    this.depth.add(1, now);
    this.scheduleWake(at + this.pollJitter());
  }

  /** Handles one of the stage's events. */
  handle(kind: number, id: number, t: number): void {
    if (kind === EXPORT_EVENT.wake) {
      if (t >= this.wakeAt) this.wakeAt = Number.POSITIVE_INFINITY;
      this.dispatch(t);
    } else if (kind === EXPORT_EVENT.put) this.put(id, t);
    else this.done(id, t);
  }

  private pollJitter(): number {
    return this.model.exportPollIntervalMs > 0 ? this.host.random() * this.model.exportPollIntervalMs : 0;
  }

  private scheduleWake(at: number): void {
    if (at >= this.wakeAt) return;
    this.wakeAt = at;
    this.host.events.push(at, EXPORT_EVENT.wake);
  }

  private group(message: number): number {
    return (
      this.host.profileOf(this.writeOf[message] as number) * this.model.workload.destinations +
      (this.destOf[message] as number)
    );
  }

  /** Starts invocations while slots are free and unblocked messages are visible. */
  private dispatch(t: number): void {
    while (this.running.value < this.model.exportConcurrency) {
      const { batch, nextVisible } = this.collect(t);
      if (batch.length === 0) {
        if (Number.isFinite(nextVisible)) this.scheduleWake(nextVisible + this.pollJitter());
        return;
      }
      const id = this.nextInvocation++;
      this.invocations.set(id, { startedAt: t, messages: batch, pending: [...batch], attempt: 0 });
      this.invocationCount += 1;
      this.running.add(1, t);
      const putAt = t + this.model.exportInvocationMs / 2 + this.model.exportMessageMs * batch.length;
      this.host.events.push(putAt, EXPORT_EVENT.put, id);
    }
  }

  /**
   * The next batch: messages received again first, then those their group was handed to, then new
   * visible messages in order — a message whose group is held waits (parked) behind it, and the
   * receive goes on past it, as an SQS FIFO receive returns other groups' messages.
   */
  private collect(t: number): { batch: number[]; nextVisible: number } {
    const batch: number[] = [];
    const size = this.model.exportBatchSize;
    let nextVisible = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.retries.length && batch.length < size; ) {
      const r = this.retries[i] as { message: number; at: number };
      if (r.at <= t) {
        batch.push(r.message);
        this.retries.splice(i, 1);
      } else {
        nextVisible = Math.min(nextVisible, r.at);
        i++;
      }
    }
    while (this.released.length > 0 && batch.length < size) batch.push(this.released.shift() as number);
    while (this.head < this.visibleAt.length && batch.length < size) {
      const at = this.visibleAt[this.head] as number;
      if (at > t) {
        nextVisible = Math.min(nextVisible, at);
        break;
      }
      const i = this.head++;
      const group = this.group(i);
      if (this.locks.has(group)) {
        const line = this.parked.get(group);
        if (line === undefined) this.parked.set(group, [i]);
        else line.push(i);
        continue;
      }
      this.locks.set(group, i);
      batch.push(i);
    }
    return { batch, nextVisible };
  }

  /** A group's message was deleted: the group passes to its next parked message, if any. */
  private release(group: number): void {
    const line = this.parked.get(group);
    const next = line?.shift();
    if (line === undefined || next === undefined) {
      this.locks.delete(group);
      return;
    }
    if (line.length === 0) this.parked.delete(group);
    this.locks.set(group, next);
    this.released.push(next);
  }

  /** One PutRecords round: each pending entry is accepted or throttled by its shard. */
  private put(id: number, t: number): void {
    const inv = this.invocations.get(id);
    if (inv === undefined) return;
    this.putCalls += 1;
    const bytes = this.model.workload.recordBytes;
    const remaining: number[] = [];
    for (const m of inv.pending) {
      const write = this.writeOf[m] as number;
      if (this.host.buckets.put(this.destOf[m] as number, this.host.profileOf(write), bytes, t)) {
        this.depth.add(-1, t);
        this.host.delivered(write, t);
      } else remaining.push(m);
    }
    inv.pending = remaining;
    if (remaining.length > 0 && inv.attempt + 1 < this.model.retry.maxAttempts) {
      inv.attempt += 1;
      const cap = Math.min(this.model.retry.maxMs, this.model.retry.baseMs * 2 ** inv.attempt);
      this.host.events.push(t + this.host.random() * cap + this.model.putRecordsMs, EXPORT_EVENT.put, id);
      return;
    }
    if (remaining.length > 0) this.failedInvocations += 1;
    this.host.events.push(t + this.model.exportInvocationMs / 2, EXPORT_EVENT.done, id);
  }

  /** The invocation ended: delivered messages are deleted (their groups free), failed ones come back later. */
  private done(id: number, t: number): void {
    const inv = this.invocations.get(id);
    if (inv === undefined) return;
    this.invocations.delete(id);
    this.invocationMs += t - inv.startedAt;
    const failed = new Set(inv.pending);
    for (const m of inv.messages) {
      if (failed.has(m)) {
        // The group stays held by this message until it is received again.
        this.retries.push({ message: m, at: t + this.model.visibilityTimeoutMs });
        this.scheduleWake(t + this.model.visibilityTimeoutMs);
      } else this.release(this.group(m));
    }
    this.running.add(-1, t);
    this.dispatch(t);
  }
}
