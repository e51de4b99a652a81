/**
 * `npx tsx bench/refresh-model.ts`: runs the capacity model of `npm run bench` again (`results.model`,
 * a seeded simulation: seconds) on the measurements of the run committed in `bench/results.json` —
 * the end-to-end run's handler fits and latencies, the backfill CPU — without running any benchmark,
 * then draws the charts again. For a change to the model itself; `results.modelRefreshedAt` says when
 * it ran (a full `npm run bench` writes the whole file anew, without that field).
 */
import { writeFileSync } from 'node:fs';
import { writeCharts } from './charts.js';
import { runModelBench } from './model.js';
import { backfillSchema, e2eSchema, RESULTS_FILE, readResultsFile, resultsSection } from './results-file.js';

const results = readResultsFile(RESULTS_FILE);
const e2e = resultsSection(results, 'e2e', e2eSchema);
const backfill = resultsSection(results, 'backfill', backfillSchema);
const refreshed = {
  ...results,
  model: runModelBench(e2e, backfill),
  modelRefreshedAt: new Date().toISOString(),
};
writeFileSync(RESULTS_FILE, `${JSON.stringify(refreshed, null, 2)}\n`);
process.stdout.write(`wrote results.model to ${RESULTS_FILE} (the run of ${String(results.generatedAt)})\n`);
for (const line of await writeCharts(refreshed)) process.stdout.write(`  ${line}\n`);
