/**
 * `bench/results.json` read back — by `npm run bench:charts` (the charts) and `bench/refresh-model.ts`
 * (the capacity model re-run on a committed run's measurements). Each reader checks only the fields
 * it reads, section by section: a section that failed in its run holds `{ "error": … }` instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Where `npm run bench` writes its results. */
export const RESULTS_FILE = join(import.meta.dirname, 'results.json');

/** Reads a results file as JSON. @throws Error naming the file when it is missing or not JSON. */
export function readResultsFile(file: string = RESULTS_FILE): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read it (run \`npm run bench\` to write it)`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file}: not a JSON object (run \`npm run bench\` to write it again)`, {
      cause: error,
    });
  }
}

/**
 * A section of the results checked against `schema`.
 * @throws Error naming the section and each field that does not match.
 */
export function resultsSection<T>(results: Record<string, unknown>, key: string, schema: z.ZodType<T>): T {
  const value = results[key];
  const failed = z.object({ error: z.string() }).safeParse(value);
  if (failed.success) throw new Error(`results.${key}: that section failed in its run: ${failed.data.error}`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `results.${[key, ...i.path].join('.')}: ${i.message}`);
    throw new Error(`${issues.join('; ')} (a results file from an older bench? run \`npm run bench\`)`);
  }
  return parsed.data;
}

const fit = z.object({ fixedMs: z.number(), perItemMs: z.number() });

/** One step of the end-to-end bench on the local stack. */
export const e2eStepSchema = z.object({
  /** The rate the writer aimed at: the offered rate. */
  targetPerSecond: z.number(),
  achievedPerSecond: z.number(),
  writes: z.number(),
  delivered: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  sustained: z.boolean(),
});

/** What the capacity model and the charts read of `results.e2e`. */
export const e2eSchema = z.object({
  profiles: z.number(),
  writeMs: z.number(),
  sustainedPerSecond: z.number(),
  rawWritesPerSecond: z.number(),
  rawWritesPerSecondAfterSteps: z.number(),
  steps: z.array(e2eStepSchema),
  handlerMs: z.object({ decideFit: fit, exportFit: fit }),
  localLatencies: z.object({
    streamLagMs: z.number(),
    getRecordsMs: z.number(),
    queueLatencyMs: z.number(),
  }),
});
/** The local end-to-end run, as the capacity model reads it. */
export type E2eMeasurements = z.infer<typeof e2eSchema>;

/** A latency a step may lack (no write delivered: NaN in the run, null in the file). */
const measuredMs = z.number().nullable().catch(null);

/** What the local stack's chart reads of `results.e2e`: the steps and the raw write rates, nothing else. */
export const e2eChartSchema = z.object({
  sustainedPerSecond: z.number(),
  rawWritesPerSecond: z.number(),
  rawWritesPerSecondAfterSteps: z.number(),
  steps: z.array(e2eStepSchema.extend({ p50Ms: measuredMs, p95Ms: measuredMs, p99Ms: measuredMs })),
});

/** What the capacity model reads of `results.backfill`. */
export const backfillSchema = z.object({
  itemMicros: z.number(),
  scans: z.number(),
  segments: z.number(),
});
/** The local backfill run, as the capacity model reads it. */
export type BackfillMeasurements = z.infer<typeof backfillSchema>;

/** One step of the capacity model (`bench/model.ts`'s `ModelStep`, the fields the charts draw). */
export const modelStepSchema = z.object({
  offeredPerSecond: z.number(),
  deliveredPerSecond: z.number(),
  exportsOfferedPerSecond: z.number(),
  exportsDeliveredPerSecond: z.number(),
  backlogGrowthPerSecond: z.number(),
  minutesToPromise: z.number().nullable(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  bottleneck: z.string(),
  bottleneckExportsPerSecond: z.number().nullable(),
});

/** What the charts read of `results.model`. */
export const modelSchema = z.object({
  peakWritesPerSecond: z.number(),
  steps: z.array(modelStepSchema),
  localValidation: z
    .object({
      steps: z.array(
        z.object({
          offeredPerSecond: z.number(),
          sustained: z.boolean(),
          measuredP50Ms: z.number(),
          modelP50Ms: z.number(),
          measuredP95Ms: z.number(),
          modelP95Ms: z.number(),
        }),
      ),
    })
    .optional(),
});

const costLines = z.object({
  lines: z.array(z.object({ item: z.string(), usdPerMillion: z.number() })),
  total: z.number(),
});

/** What the charts read of `results.cost`. */
export const costSchema = z.object({ pipeline: costLines, naive: costLines });
