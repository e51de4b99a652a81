/**
 * `npm run bench`: runs every benchmark, prints a table, writes bench/results.json.
 * Each figure is a median of several runs; comparisons are ratios measured side by side in this run.
 * A section whose code has not landed yet is reported as `null` with a note, never guessed.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { AWS_PRICES, PRICES_AS_OF } from '../core/capacity/prices.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { runBundleBench } from './bundles.js';
import { writeCharts } from './charts.js';
import { type CostInputs, exporterCostInputs, FIXED_COSTS, modelNaive, modelPipeline } from './cost.js';
import { runDecideBench } from './decide.js';
import { runE2eBench } from './e2e.js';
import { runExporterBench } from './exporter.js';
import { MODEL_RATES, runModelBench } from './model.js';
import { RESULTS_FILE } from './results-file.js';
import { round } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type Json = Record<string, unknown>;

function machine(): Json {
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    /** 1-minute load average when the run started: other work on the machine skews every figure. */
    loadAverageAtStart: round(loadavg()[0] ?? 0, 2),
  };
}

async function section<T>(name: string, fn: () => Promise<T> | T): Promise<T | { error: string }> {
  const started = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  try {
    const result = await fn();
    process.stderr.write(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`bench: ${name} FAILED: ${message}\n`);
    return { error: message.split('\n')[0] ?? message };
  }
}

function isError(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value;
}

async function main(): Promise<void> {
  const started = performance.now();
  const results: Json = { generatedAt: new Date().toISOString(), machine: machine() };

  const decide = await section('decision core', () => runDecideBench());
  results.decide = decide;

  const bundles = await section('bundles', () => runBundleBench());
  results.bundles = bundles;

  const exporter = await section('exporter', () => runExporterBench());
  results.export = exporter;

  const stack = await section('end to end + backfill on the local stack', () => runE2eBench());
  if (isError(stack)) {
    results.e2e = stack;
    results.backfill = stack;
  } else {
    results.e2e = stack.e2e;
    results.backfill = stack.backfill;
  }

  // Cost: handler durations measured on the local stack (end-to-end run); the naive export
  // function's duration is the measured export invocation scaled to one message and one call.
  const e2e = isError(stack) ? undefined : stack.e2e;
  const decideMs =
    e2e !== undefined && e2e.handlerMs.decidePerRecord > 0
      ? e2e.handlerMs.decidePerRecord * PIPELINE_SETTINGS.decide.batchSize
      : isError(decide)
        ? Number.NaN
        : (decide.microsPerRecord.decidePath * PIPELINE_SETTINGS.decide.batchSize) / 1000;
  const exportMs =
    e2e !== undefined && e2e.handlerMs.exportPerMessage > 0
      ? e2e.handlerMs.exportPerMessage * PIPELINE_SETTINGS.export.batchSize
      : isError(exporter)
        ? Number.NaN
        : exporter.fifoHandler.medianInvocationMs;
  const naiveMs = isError(exporter) ? exportMs : exporter.naivePutRecordMs;
  const inputs: CostInputs = {
    decideMsPerBatch: decideMs,
    decideBatchSize: PIPELINE_SETTINGS.decide.batchSize,
    exportMsPerBatch: exportMs,
    exportBatchSize: PIPELINE_SETTINGS.export.batchSize,
    naiveExportMsPerMessage: naiveMs,
    messageBytes: isError(exporter) ? Number.NaN : exporter.messageBytesMedian,
    recordBytes: isError(decide) ? 2048 : decide.documentBytes + 10,
    ...exporterCostInputs(isError(exporter) ? undefined : exporter),
  };
  results.cost = await section('cost model', () => {
    const pipeline = modelPipeline(inputs);
    const naive = modelNaive(inputs);
    return {
      perMillionUsd: round(pipeline.total, 4),
      naivePerMillionUsd: round(naive.total, 4),
      ratioToNaive: round(pipeline.total / naive.total, 3),
      inputs,
      pipeline,
      naive,
      provisionedKinesis: {
        perMillionUsd: round(modelPipeline(inputs, 'provisioned').total, 4),
        naivePerMillionUsd: round(modelNaive(inputs, 'provisioned').total, 4),
      },
      prices: AWS_PRICES,
      pricesAsOf: PRICES_AS_OF,
      fixedCostsNotPerExport: FIXED_COSTS,
    };
  });

  results.model = await section('capacity model', () =>
    runModelBench(e2e, isError(stack) || isError(stack.backfill) ? undefined : stack.backfill),
  );

  results.totalSeconds = round((performance.now() - started) / 1000, 1);
  (results.machine as Json).loadAverageAtEnd = round(loadavg()[0] ?? 0, 2);
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  process.stdout.write(`\nwrote ${RESULTS_FILE} in ${results.totalSeconds} s\n`);
  // The charts of BENCHMARKS.md, from the results just written (npm run bench:charts draws the same).
  for (const line of await writeCharts(results)) process.stdout.write(`chart: ${line}\n`);
}

function get(obj: unknown, path: string): unknown {
  let current = obj;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Json)[key];
  }
  return current;
}

function printTable(results: Json): void {
  const atPeak = MODEL_RATES.indexOf(10_000);
  const atTwice = MODEL_RATES.indexOf(20_000);
  const rows: [string, string, string][] = [
    ['decide.perSecond', 'stream records evaluated per second (one core)', ''],
    ['decide.ratioToBaseline', 'decide path / (unmarshall both images + stringify)', '≤ 1.5'],
    ['export.exports', 'exports (no throttling)', ''],
    ['export.putRecordsCalls', 'PutRecords calls, chunker alone', 'ceil(n/500)+1'],
    ['export.throttled.duplicates', 'duplicates with 20% throttled', '0'],
    ['export.throttled.lost', 'lost with 20% throttled', '0'],
    ['e2e.sustainedPerSecond', 'sustained profile writes/s with p95 < 1 s', ''],
    ['e2e.rawWritesPerSecond', 'raw DynamoDB Local write rate (warm JVM, same writer)', ''],
    ['e2e.rawWritesPerSecondAfterSteps', 'raw DynamoDB Local write rate, again after the steps', ''],
    ['e2e.ratioToRawWrites', 'that rate / the higher raw write rate', '≥ 0.7'],
    ['e2e.p95Ms', 'p95 write → readable in Kinesis, ms', '< 1000'],
    ['backfill.perSecond', 'profiles scanned and exported per second', ''],
    ['backfill.scans', 'table scans for one deploy of several newly mapped segments', '1'],
    [
      `model.steps.${atPeak}.deliveredPerSecond`,
      'model: delivered writes/s at 10,000 offered (defaults for that peak)',
      '10000',
    ],
    [`model.steps.${atPeak}.p95Ms`, 'model: p95 write → Kinesis at 10,000 writes/s, ms', '≤ 2000'],
    [`model.steps.${atTwice}.bottleneck`, 'model: what stops 20,000 writes/s with the 10,000 defaults', ''],
    [
      `model.steps.${atTwice}.exportsDeliveredPerSecond`,
      'model: exports/s delivered at 20,000 offered (of 15,000)',
      '',
    ],
    [
      `model.steps.${atTwice}.minutesToPromise`,
      'model: minutes of 20,000 writes/s until the oldest waiting export is 10 minutes old',
      '',
    ],
    ['model.localValidationError', 'model vs local e2e: mean relative p95 error (sustained steps)', ''],
    ['model.backfill.minutes', 'model: 10 M profiles, 50 newly mapped segments, one scan, minutes', '≤ 15'],
    ['cost.perMillionUsd', 'USD per million exports (this design)', ''],
    ['cost.naivePerMillionUsd', 'USD per million exports (naive design)', ''],
  ];
  const lines = rows.map(([key, what, target]) => {
    const value = get(results, key);
    const shown = value === undefined || value === null ? 'not measured' : String(value);
    return `| ${key} | ${what} | ${shown} | ${target} |`;
  });
  process.stdout.write(`\n| field | what | value | target |\n|---|---|---|---|\n${lines.join('\n')}\n`);
  const bundles = get(results, 'bundles.functions');
  if (typeof bundles === 'object' && bundles !== null) {
    process.stdout.write(
      '\n| function | bundle bytes | gzip | module init ms | with SDK bundled: bytes / init ms |\n|---|---|---|---|---|\n',
    );
    for (const [name, b] of Object.entries(bundles as Record<string, Json>)) {
      const sdk = b.withSdk as Json;
      process.stdout.write(
        `| ${name} | ${b.bytes} | ${b.gzipBytes} | ${b.initMs} | ${sdk.bytes} / ${sdk.initMs} |\n`,
      );
    }
  }
}

await main();
