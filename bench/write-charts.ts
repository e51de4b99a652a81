/**
 * `npm run bench:charts`: draws the charts of BENCHMARKS.md again from the committed
 * `bench/results.json` (or the file given as the first argument), without running any benchmark.
 */
import { writeCharts } from './charts.js';
import { RESULTS_FILE, readResultsFile } from './results-file.js';

const file = process.argv[2] ?? RESULTS_FILE;
const lines = await writeCharts(readResultsFile(file));
process.stdout.write(`charts from ${file}:\n${lines.map((l) => `  ${l}\n`).join('')}`);
if (lines.some((l) => l.includes(': not drawn: '))) process.exitCode = 1;
