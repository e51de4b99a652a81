/**
 * The capacity model in `npm run bench` (`results.model`): the deployed pipeline at 1,000 to 20,000
 * profile writes/s with the settings shipped for a 10,000 writes/s peak, simulated with THIS run's
 * measured code timings and the assumed AWS latencies; the same model run with the local emulators'
 * measured latencies and settings against this run's local end-to-end steps (the validation); and
 * the backfill of 10 million profiles for 50 newly mapped segments.
 */
import { AWS_FIGURES } from '../core/capacity/aws-figures.js';
import { modelBackfill } from '../core/capacity/backfill.js';
import { awsModel, localModel } from '../core/capacity/models.js';
import {
  AWS_ASSUMED_LATENCIES,
  type CodeTimings,
  ENVELOPE_WORKLOAD,
  PLANNING_TIMINGS,
  type PlatformLatencies,
} from '../core/capacity/parameters.js';
import { type SimulationResult, simulate } from '../core/capacity/simulation.js';
import {
  exportSlotMessagesPerSecond,
  recommendedKinesisShards,
  stageCapacities,
} from '../core/capacity/sizing.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { deriveMappingSettings } from '../core/throughput-settings.js';
import type { BackfillMeasurements, E2eMeasurements } from './results-file.js';
import { round } from './stats.js';

/** One row of the model's table. */
export interface ModelStep {
  readonly offeredPerSecond: number;
  /** Profile writes completed per second (decided, and every export in Kinesis). */
  readonly deliveredPerSecond: number;
  /** Exports per second the offered writes made, and the destination streams accepted. */
  readonly exportsOfferedPerSecond: number;
  readonly exportsDeliveredPerSecond: number;
  /** Exports a second added to those waiting (0 when carried). */
  readonly backlogGrowthPerSecond: number;
  /** Minutes of the rate until the oldest waiting export passes the 10-minute promise; null when carried. */
  readonly minutesToPromise: number | null;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly queueDepthMax: number;
  readonly queueDepthMean: number;
  readonly decideConcurrencyMax: number;
  readonly exportConcurrencyMax: number;
  readonly exportConcurrencyMean: number;
  readonly throttledEntries: number;
  /** The pipeline stage that stops the rate; `none` when it is carried. */
  readonly bottleneck: string;
  /** What the bottleneck stage carries, in exports/s (the arithmetic of `sizing.ts`); null for `none`. */
  readonly bottleneckExportsPerSecond: number | null;
  /** Limits outside the simulated pipeline that the rate runs into (the table's write quota). */
  readonly limits: readonly string[];
  readonly settings: {
    readonly parallelizationFactor: number;
    readonly maxConcurrency: number;
    readonly kinesisShards: number;
    readonly streamShards: number;
  };
}

const ENVELOPE_PEAK = 10_000;

/** The offered rates of `results.model.steps`, writes/s: up to twice the peak the settings are derived for. */
export const MODEL_RATES = [1_000, 2_500, 5_000, 7_500, 10_000, 12_500, 15_000, 17_500, 20_000] as const;

function step(result: SimulationResult, model: ReturnType<typeof awsModel>): ModelStep {
  const capacities = stageCapacities(model);
  const table = capacities.find((c) => c.stage === 'profile-table-writes');
  const binding = capacities.find((c) => c.stage === result.bottleneck);
  const exportsPerWrite = model.workload.exportShare * model.workload.destinations;
  return {
    offeredPerSecond: result.offeredPerSecond,
    deliveredPerSecond: round(result.deliveredPerSecond, 0),
    exportsOfferedPerSecond: round(result.exportsOfferedPerSecond, 0),
    exportsDeliveredPerSecond: round(result.exportsDeliveredPerSecond, 0),
    backlogGrowthPerSecond: round(result.backlog.growthPerSecond, 0),
    minutesToPromise:
      result.backlog.minutesToPromise === null ? null : round(result.backlog.minutesToPromise, 1),
    p50Ms: round(result.p50Ms, 0),
    p95Ms: round(result.p95Ms, 0),
    p99Ms: round(result.p99Ms, 0),
    queueDepthMax: result.queueDepth.max,
    queueDepthMean: round(result.queueDepth.mean, 0),
    decideConcurrencyMax: result.decideConcurrency.max,
    exportConcurrencyMax: result.exportConcurrency.max,
    exportConcurrencyMean: round(result.exportConcurrency.mean, 0),
    throttledEntries: result.throttledEntries,
    bottleneck: result.bottleneck,
    bottleneckExportsPerSecond:
      binding !== undefined && Number.isFinite(binding.writesPerSecond)
        ? round(binding.writesPerSecond * exportsPerWrite, 0)
        : null,
    limits: table !== undefined && table.writesPerSecond < result.offeredPerSecond ? [table.detail] : [],
    settings: {
      parallelizationFactor: model.parallelizationFactor,
      maxConcurrency: model.exportConcurrency,
      kinesisShards: model.kinesis.mode === 'provisioned' ? model.kinesis.shards : 0,
      streamShards: model.streamShards,
    },
  };
}

/** The deployment sized for `peak` (the shipped derivation, plan's Kinesis shards) at `rate`. */
function sizedModel(rate: number, peak: number, timings: CodeTimings, latencies: PlatformLatencies) {
  const settings = deriveMappingSettings({
    peakWritesPerSecond: peak,
    destinations: ENVELOPE_WORKLOAD.destinations,
  });
  const shards = recommendedKinesisShards(
    peak * ENVELOPE_WORKLOAD.exportShare,
    ENVELOPE_WORKLOAD.recordBytes,
  );
  return awsModel({
    workload: ENVELOPE_WORKLOAD,
    writesPerSecond: rate,
    parallelizationFactor: settings.parallelizationFactor,
    maxConcurrency: settings.maxConcurrency,
    kinesis: { mode: 'provisioned', shards },
    timings,
    latencies,
  });
}

/** {@link sizedModel}, simulated for 30 s. */
function runAws(
  rate: number,
  peak: number,
  timings: CodeTimings,
  latencies: PlatformLatencies = AWS_ASSUMED_LATENCIES,
) {
  const model = sizedModel(rate, peak, timings, latencies);
  return { model, result: simulate(model, { offeredPerSecond: rate, durationSeconds: 30, seed: 42 }) };
}

/** The code timings measured in this run (the fits of the end-to-end run, the backfill CPU). */
export function measuredTimings(
  e2e: E2eMeasurements | undefined,
  backfill: BackfillMeasurements | undefined,
): CodeTimings {
  const ok = (n: number | undefined, fallback: number) =>
    n !== undefined && Number.isFinite(n) ? n : fallback;
  return {
    decideInvocationMs: ok(e2e?.handlerMs.decideFit.fixedMs, PLANNING_TIMINGS.decideInvocationMs),
    decideRecordMs: ok(e2e?.handlerMs.decideFit.perItemMs, PLANNING_TIMINGS.decideRecordMs),
    exportInvocationMs: ok(e2e?.handlerMs.exportFit.fixedMs, PLANNING_TIMINGS.exportInvocationMs),
    exportMessageMs: ok(e2e?.handlerMs.exportFit.perItemMs, PLANNING_TIMINGS.exportMessageMs),
    backfillItemMicros: ok(backfill?.itemMicros, PLANNING_TIMINGS.backfillItemMicros),
  };
}

/** The model against the local end-to-end steps: same rates, the emulators' latencies and the local settings. */
function validate(e2e: E2eMeasurements, timings: CodeTimings) {
  const latencies: PlatformLatencies = {
    writeMs: e2e.writeMs,
    streamLagMs: e2e.localLatencies.streamLagMs,
    getRecordsMs: e2e.localLatencies.getRecordsMs,
    queueLatencyMs: e2e.localLatencies.queueLatencyMs,
    // The local SQS mapping's pause between empty receives (local/event-sources/sqs-poller.ts).
    exportPollIntervalMs: 100,
    putRecordsMs: 5,
  };
  const model = localModel({
    timings,
    latencies,
    // Every bench write changes a mapped attribute of a member: one export each.
    workload: { ...ENVELOPE_WORKLOAD, exportShare: 1, profiles: e2e.profiles },
  });
  const steps = e2e.steps.map((s) => {
    const r = simulate(model, {
      offeredPerSecond: s.achievedPerSecond,
      durationSeconds: 5,
      warmupSeconds: 0,
      drainSeconds: 15,
      seed: 3,
    });
    return {
      offeredPerSecond: s.achievedPerSecond,
      sustained: s.sustained,
      measuredP50Ms: s.p50Ms,
      modelP50Ms: round(r.p50Ms, 0),
      measuredP95Ms: s.p95Ms,
      modelP95Ms: round(r.p95Ms, 0),
      modelBottleneck: r.bottleneck,
    };
  });
  const sustained = steps.filter((s) => s.sustained);
  const error = (key: 'P50' | 'P95') =>
    round(
      sustained.reduce(
        (sum, s) => sum + Math.abs(s[`model${key}Ms`] - s[`measured${key}Ms`]) / s[`measured${key}Ms`],
        0,
      ) / Math.max(1, sustained.length),
      3,
    );
  const modelCarried = steps.filter((s) => s.modelP95Ms < 1_000).map((s) => s.offeredPerSecond);
  return {
    latencies,
    steps,
    p50Error: error('P50'),
    p95Error: error('P95'),
    measuredSustainedPerSecond: e2e.sustainedPerSecond,
    modelSustainedPerSecond: modelCarried.length > 0 ? Math.max(...modelCarried) : 0,
  };
}

/** Runs the model for the bench's results. */
export function runModelBench(e2e: E2eMeasurements | undefined, backfill: BackfillMeasurements | undefined) {
  const started = performance.now();
  const timings = measuredTimings(e2e, backfill);
  const steps = MODEL_RATES.map((rate) => {
    const { model, result } = runAws(rate, ENVELOPE_PEAK, timings);
    return step(result, model);
  });
  const at20kSized = runAws(20_000, 20_000, timings);
  const doubled = Object.fromEntries(
    Object.entries(AWS_ASSUMED_LATENCIES).map(([k, v]) => [k, v * 2]),
  ) as unknown as PlatformLatencies;
  const slow = runAws(ENVELOPE_PEAK, ENVELOPE_PEAK, timings, doubled);
  const envelope = sizedModel(ENVELOPE_PEAK, ENVELOPE_PEAK, timings, AWS_ASSUMED_LATENCIES);
  const liveExports = ENVELOPE_PEAK * ENVELOPE_WORKLOAD.exportShare;
  const spare = exportSlotMessagesPerSecond(envelope) * envelope.exportConcurrency - liveExports;
  /** The envelope's backfill (10 M profiles, 50 newly mapped segments) with this much export capacity to spare. */
  const envelopeBackfill = (exportMessagesPerSecond: number) =>
    modelBackfill({
      profiles: 10_000_000,
      itemBytes: ENVELOPE_WORKLOAD.itemBytes,
      segments: 50,
      destinations: 1,
      memberShare: 1,
      table: { billing: 'PAY_PER_REQUEST' },
      timings,
      memoryMb: PIPELINE_SETTINGS.backfill.memoryMb,
      exportMessagesPerSecond: Math.max(1, exportMessagesPerSecond),
    });
  const backfillModel = envelopeBackfill(spare);
  const atTenth = envelopeBackfill(spare + liveExports * 0.9);
  const validation = e2e === undefined ? undefined : validate(e2e, timings);
  return {
    measured: { timings, from: 'this run: least-squares fits of the end-to-end run, the backfill CPU bench' },
    planningTimings: PLANNING_TIMINGS,
    awsLatencies: AWS_ASSUMED_LATENCIES,
    workload: ENVELOPE_WORKLOAD,
    peakWritesPerSecond: ENVELOPE_PEAK,
    steps,
    at20000SizedFor20000: step(at20kSized.result, at20kSized.model),
    at10000WithAwsLatenciesDoubled: step(slow.result, slow.model),
    localValidation: validation,
    localValidationError: validation?.p95Error ?? null,
    backfill: {
      profiles: backfillModel.profiles,
      segments: backfillModel.segments,
      minutes: round(backfillModel.minutes, 1),
      scans: backfillModel.scans,
      /** Every member exported (one destination), live traffic at the 10,000 peak meanwhile. */
      deliveredMinutes: round(backfillModel.deliveredMinutes, 1),
      /** The same with live traffic at a tenth of the peak. */
      deliveredMinutesAtTenthOfPeak: round(atTenth.deliveredMinutes, 1),
      exportCapacityLeftPerSecond: round(spare, 0),
      readUnits: round(backfillModel.readUnits, 0),
      readCostUsd: round(backfillModel.readCostUsd, 2),
      layout: { ...backfillModel.layout, itemsPerSecond: round(backfillModel.layout.itemsPerSecond, 0) },
      localScansPerDeploy: backfill?.scans ?? null,
      localSegmentsPerDeploy: backfill?.segments ?? null,
    },
    awsFigures: Object.fromEntries(Object.entries(AWS_FIGURES).map(([k, f]) => [k, f.value])),
    seconds: round((performance.now() - started) / 1000, 1),
  };
}
