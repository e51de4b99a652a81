/**
 * A discrete-event simulation of the deployed pipeline, deterministic for a seed:
 *
 * profile writes (Poisson arrivals, profiles drawn uniformly) → the table's stream (one shard per
 * partition, a record readable `streamLagMs` after the write) → the decide mapping (each shard split
 * into `parallelizationFactor` lanes by item, each lane polling four times a second while idle,
 * invoking with up to `decideBatchSize` records and polling again as soon as an invocation ends) →
 * the FIFO export queue → the export mapping and function → the destination streams
 * (`export-stage.ts`).
 *
 * Latency is write start → the export's record accepted by Kinesis, as the local bench measures it.
 */
import { seededRandom } from '../seeded-random.js';
import { EventQueue, mix, percentileOfSorted } from './event-queue.js';
import { ExportStage, Gauge } from './export-stage.js';
import { KinesisBuckets } from './kinesis-buckets.js';
import { LATENCY_PROMISE_MS, type PipelineModel } from './parameters.js';
import { bindingStage, type Stage, stageCapacities } from './sizing.js';

/** How long and how hard to run. */
export interface SimulationOptions {
  /** Profile writes per second offered. */
  readonly offeredPerSecond: number;
  /** Seconds of offered writes. */
  readonly durationSeconds: number;
  /** Writes before this are not measured. @default a fifth of the duration */
  readonly warmupSeconds?: number;
  /** The run stops this long after the last write even if work remains. @default 60 */
  readonly drainSeconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

/** Minimum, mean and maximum of a gauge. */
export interface GaugeSummary {
  readonly mean: number;
  readonly max: number;
}

/**
 * How the exports waiting for delivery (in the table's stream or the export queue) pile up when the
 * rate is not carried.
 */
export interface Backlog {
  /** Exports a second added to those waiting: offered minus delivered, over the measured window; 0 when carried. */
  readonly growthPerSecond: number;
  /**
   * Minutes of this offered rate, from its start, until the oldest waiting export is older than the
   * page's 10-minute promise ({@link LATENCY_PROMISE_MS}); null when the backlog does not grow.
   */
  readonly minutesToPromise: number | null;
}

/** What one run found. */
export interface SimulationResult {
  readonly offeredPerSecond: number;
  /**
   * Writes completed (decided, and every export in Kinesis) per second over the measured window: the
   * offered rate when the pipeline keeps up; when it does not, the writes that need no export plus the
   * exporting writes the bottleneck lets through.
   */
  readonly deliveredPerSecond: number;
  /** Exports per second the measured window's writes made (offered × export share × destinations). */
  readonly exportsOfferedPerSecond: number;
  /** Records per second Kinesis accepted over the measured window: when a stage binds, about what it carries. */
  readonly exportsDeliveredPerSecond: number;
  readonly backlog: Backlog;
  readonly writes: number;
  readonly exports: number;
  /** Latency write → Kinesis of the measured exporting writes, ms. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** False when some measured exports were still undelivered at the end (their latency is a lower bound). */
  readonly complete: boolean;
  /** Messages in the export queue (visible and in flight). */
  readonly queueDepth: GaugeSummary;
  readonly decideConcurrency: GaugeSummary;
  readonly exportConcurrency: GaugeSummary;
  readonly putRecordsCalls: number;
  readonly throttledEntries: number;
  /** Invocations and their total duration (ms), over the whole run: the billed work. */
  readonly invocations: {
    readonly decide: number;
    readonly decideMs: number;
    readonly export: number;
    readonly exportMs: number;
  };
  /** Busy share of the hottest decide lane, of the export slots, of the hottest Kinesis shard. */
  readonly utilisation: { readonly decide: number; readonly export: number; readonly kinesis: number };
  /** The stage that stops the rate (or makes the latency run away); `none` when the rate is carried. */
  readonly bottleneck: Stage | 'none';
  readonly simulatedSeconds: number;
}

const EVENT = { poll: 1, decided: 2 } as const;

interface Lane {
  readonly writes: number[];
  readonly availableAt: number[];
  head: number;
  busyMs: number;
}

/** Runs the model at one offered rate. */
export function simulate(model: PipelineModel, options: SimulationOptions): SimulationResult {
  const random = seededRandom(options.seed ?? 1);
  const events = new EventQueue();
  const { workload } = model;
  const durationMs = options.durationSeconds * 1000;
  const warmupMs = (options.warmupSeconds ?? options.durationSeconds / 5) * 1000;
  const stopMs = durationMs + (options.drainSeconds ?? 60) * 1000;

  // The writes, and the lane each one's stream record goes to.
  const count = Math.max(1, Math.round(options.offeredPerSecond * options.durationSeconds));
  const startAt = new Float64Array(count);
  const profile = new Int32Array(count);
  const exporting = new Uint8Array(count);
  const remaining = new Uint8Array(count);
  const doneAt = new Float64Array(count).fill(Number.NaN);
  const laneCount = model.streamShards * model.parallelizationFactor;
  const lanes: Lane[] = Array.from({ length: laneCount }, () => ({
    writes: [],
    availableAt: [],
    head: 0,
    busyMs: 0,
  }));
  let t = 0;
  let exportsOffered = 0;
  let exportsOfferedInWindow = 0;
  for (let w = 0; w < count; w++) {
    t += (-Math.log(1 - random()) * 1000) / options.offeredPerSecond;
    const p = Math.floor(random() * workload.profiles);
    startAt[w] = t;
    profile[w] = p;
    exporting[w] = random() < workload.exportShare ? 1 : 0;
    remaining[w] = exporting[w] === 1 ? workload.destinations : 0;
    exportsOffered += remaining[w] as number;
    if (t >= warmupMs && t <= durationMs) exportsOfferedInWindow += remaining[w] as number;
    const shard = mix(p, 0x51) % model.streamShards;
    const lane = lanes[
      shard * model.parallelizationFactor + (mix(p, 0x1a2e) % model.parallelizationFactor)
    ] as Lane;
    lane.writes.push(w);
    lane.availableAt.push(t + model.writeMs + model.streamLagMs);
  }

  let completed = 0;
  // Exports accepted by Kinesis by the end of the warm-up and by the end of the offered writes.
  let deliveredByWarmup = 0;
  let deliveredByEnd = 0;
  const complete = (w: number, at: number) => {
    doneAt[w] = at;
    completed += 1;
  };
  const buckets = new KinesisBuckets(model.kinesis, workload.destinations);
  const exporter = new ExportStage(model, {
    events,
    random,
    buckets,
    profileOf: (w) => profile[w] as number,
    delivered: (w, at) => {
      if (at <= warmupMs) deliveredByWarmup++;
      if (at <= durationMs) deliveredByEnd++;
      remaining[w] = (remaining[w] as number) - 1;
      if (remaining[w] === 0) complete(w, at);
    },
  });
  const decideRunning = new Gauge();
  let decideInvocations = 0;
  let decideMs = 0;
  for (let l = 0; l < laneCount; l++) events.push(random() * model.pollIntervalMs, EVENT.poll, l);

  let now = 0;
  for (let event = events.pop(); event !== undefined; event = events.pop()) {
    now = event.at;
    if (now > stopMs || (now > durationMs && completed === count)) break;
    if (event.kind === EVENT.poll) {
      const lane = lanes[event.a] as Lane;
      let ready = 0;
      while (
        lane.head + ready < lane.writes.length &&
        ready < model.decideBatchSize &&
        (lane.availableAt[lane.head + ready] as number) <= now
      )
        ready++;
      if (ready === 0) {
        events.push(now + model.pollIntervalMs, EVENT.poll, event.a);
        continue;
      }
      const ms = model.getRecordsMs + model.decideInvocationMs + model.decideRecordMs * ready;
      lane.busyMs += ms;
      decideInvocations += 1;
      decideMs += ms - model.getRecordsMs;
      decideRunning.add(1, now);
      events.push(now + ms, EVENT.decided, event.a, ready);
    } else if (event.kind === EVENT.decided) {
      const lane = lanes[event.a] as Lane;
      for (let k = 0; k < event.b; k++) {
        const w = lane.writes[lane.head + k] as number;
        if (exporting[w] === 1) {
          for (let d = 0; d < workload.destinations; d++)
            exporter.enqueue(w, d, now + model.queueLatencyMs, now);
        } else complete(w, now);
      }
      lane.head += event.b;
      decideRunning.add(-1, now);
      // Lambda polls again as soon as the batch succeeded.
      events.push(now, EVENT.poll, event.a);
    } else exporter.handle(event.kind, event.a, now);
  }

  return summarise();

  /**
   * A backlog that grows makes the last writes wait longer than the first: the median latency of the
   * last fifth of the measured writes well above that of the first fifth.
   */
  function backlogGrew(): boolean {
    const fifth = (durationMs - warmupMs) / 5;
    const early: number[] = [];
    const late: number[] = [];
    for (let w = 0; w < count; w++) {
      const start = startAt[w] as number;
      if (exporting[w] !== 1 || Number.isNaN(doneAt[w] as number)) continue;
      if (start >= warmupMs && start < warmupMs + fifth) early.push((doneAt[w] as number) - start);
      else if (start >= durationMs - fifth) late.push((doneAt[w] as number) - start);
    }
    const median = (values: number[]) => percentileOfSorted(Float64Array.from(values).sort(), 50);
    if (early.length === 0 || late.length === 0) return false;
    return median(late) > 1.5 * median(early) + 100;
  }

  function summarise(): SimulationResult {
    const windowMs = Math.max(1, durationMs - warmupMs);
    const latencies: number[] = [];
    let undelivered = 0;
    for (let w = 0; w < count; w++) {
      const done = doneAt[w] as number;
      if ((startAt[w] as number) < warmupMs || exporting[w] !== 1) continue;
      if (Number.isNaN(done)) {
        undelivered++;
        latencies.push(now - (startAt[w] as number));
      } else latencies.push(done - (startAt[w] as number));
    }
    const sorted = Float64Array.from(latencies).sort();
    // Completions over the measured window itself (not shifted by the latency, which grows without
    // bound when the rate is not carried): the offered rate when the pipeline keeps up, the
    // bottleneck's capacity when it does not.
    let completedInWindow = 0;
    for (let w = 0; w < count; w++) {
      const done = doneAt[w] as number;
      if (done >= warmupMs && done <= durationMs) completedInWindow++;
    }
    const seconds = now / 1000;
    let hottest = 0;
    for (const lane of lanes) hottest = Math.max(hottest, lane.busyMs / Math.max(1, now));
    const utilisation = {
      decide: hottest,
      export: exporter.running.mean(now) / model.exportConcurrency,
      kinesis: buckets.hottestUtilisation(Math.max(1e-3, seconds)),
    };
    const windowSeconds = windowMs / 1000;
    const exportsOfferedPerSecond = exportsOfferedInWindow / windowSeconds;
    const exportsDeliveredPerSecond = (deliveredByEnd - deliveredByWarmup) / windowSeconds;
    const p95 = percentileOfSorted(sorted, 95);
    const carried =
      undelivered === 0 && (exportsDeliveredPerSecond >= 0.97 * exportsOfferedPerSecond || !backlogGrew());
    const bottleneck = carried
      ? 'none'
      : nameBottleneck(model, options.offeredPerSecond, utilisation, buckets.throttled);
    return {
      offeredPerSecond: options.offeredPerSecond,
      deliveredPerSecond: completedInWindow / windowSeconds,
      exportsOfferedPerSecond,
      exportsDeliveredPerSecond,
      backlog: carried
        ? { growthPerSecond: 0, minutesToPromise: null }
        : backlogOf(exportsOfferedPerSecond, exportsDeliveredPerSecond),
      writes: count,
      exports: exportsOffered,
      p50Ms: percentileOfSorted(sorted, 50),
      p95Ms: p95,
      p99Ms: percentileOfSorted(sorted, 99),
      complete: undelivered === 0,
      queueDepth: { mean: exporter.depth.mean(now), max: exporter.depth.max },
      decideConcurrency: { mean: decideRunning.mean(now), max: decideRunning.max },
      exportConcurrency: { mean: exporter.running.mean(now), max: exporter.running.max },
      putRecordsCalls: exporter.putCalls,
      invocations: {
        decide: decideInvocations,
        decideMs,
        export: exporter.invocationCount,
        exportMs: exporter.invocationMs,
      },
      throttledEntries: buckets.throttled,
      utilisation,
      bottleneck,
      simulatedSeconds: seconds,
    };
  }
}

/**
 * The backlog of a rate that is not carried. Exports arrive at `offered` a second and leave at
 * `delivered`; in first-in-first-out order the oldest waiting export then ages by
 * `1 - delivered / offered` seconds a second, so it passes the promise after
 * `promise × offered / (offered - delivered)` of the rate. It is the backlog's trend: an export
 * whose put retries all fail waits a visibility timeout more, and a hot shard's backlog ages faster
 * than the average.
 */
export function backlogOf(offered: number, delivered: number): Backlog {
  const growth = Math.max(0, offered - delivered);
  return {
    growthPerSecond: growth,
    minutesToPromise: growth > 0 ? (LATENCY_PROMISE_MS / 60_000) * (offered / growth) : null,
  };
}

/**
 * The stage that stopped the run: the stage the arithmetic says binds, else the busiest simulated
 * stage (decide lane, export slots, Kinesis shards — a shard that throttled counts as full).
 */
function nameBottleneck(
  model: PipelineModel,
  offered: number,
  use: SimulationResult['utilisation'],
  throttled: number,
): Stage {
  const binding = bindingStage(
    stageCapacities(model).filter((c) => c.stage !== 'profile-table-writes'),
    offered,
  );
  if (binding !== null) return binding.stage;
  const kinesis: Stage = model.kinesis.mode === 'on-demand' ? 'kinesis-on-demand' : 'kinesis-shards';
  const pressures: [Stage, number][] = [
    ['decide-per-shard', use.decide],
    ['export-concurrency', use.export],
    [kinesis, throttled > 0 ? Math.max(1, use.kinesis) : use.kinesis],
  ];
  pressures.sort((a, b) => b[1] - a[1]);
  return (pressures[0] as [Stage, number])[0];
}
