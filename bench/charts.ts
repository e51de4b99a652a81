/**
 * The charts BENCHMARKS.md shows beside its tables, drawn from `bench/results.json` by Vega-Lite
 * (compiled to Vega, rendered to SVG in Node with no canvas and no browser): delivered rate and
 * latency against the offered rate for the local stack and for the capacity model, the model against
 * the local steps, and the cost per million exports by line item. The same results give the same
 * SVG bytes: nothing in a chart comes from the clock or the machine.
 *
 * `npm run bench` draws them at its end; `npm run bench:charts` draws them again from the committed
 * results (`bench/write-charts.ts`).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { capacityModelSpec, costSpec, localStackSpec, modelVsLocalSpec } from './chart-specs.js';
import { costSchema, e2eChartSchema, modelSchema, resultsSection } from './results-file.js';

/** Where the charts are written, committed beside the results they are drawn from. */
export const CHARTS_DIR = join(import.meta.dirname, 'charts');

/** Renders a Vega-Lite spec to SVG text in Node (no canvas: text widths are estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** One chart file, or why it was not drawn. */
export type ChartOutcome =
  | { readonly file: string; readonly svg: string }
  | { readonly file: string; readonly skipped: string };

/**
 * Every chart of the results, in a fixed order. A chart whose section is missing or failed in its
 * run is skipped with the reason (the others are still drawn).
 */
export async function buildCharts(results: Record<string, unknown>): Promise<ChartOutcome[]> {
  const charts: [string, () => TopLevelSpec | undefined][] = [
    ['local-stack.svg', () => localStackSpec(resultsSection(results, 'e2e', e2eChartSchema))],
    ['capacity-model.svg', () => capacityModelSpec(resultsSection(results, 'model', modelSchema))],
    ['model-vs-local.svg', () => modelVsLocalSpec(resultsSection(results, 'model', modelSchema))],
    ['cost-per-million.svg', () => costSpec(resultsSection(results, 'cost', costSchema))],
  ];
  const outcomes: ChartOutcome[] = [];
  for (const [file, spec] of charts) {
    let built: TopLevelSpec | undefined;
    try {
      built = spec();
    } catch (error) {
      outcomes.push({ file, skipped: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (built === undefined) outcomes.push({ file, skipped: 'no data for it in the results' });
    else outcomes.push({ file, svg: await renderSvg(built) });
  }
  return outcomes;
}

/**
 * Draws every chart of `results` into `dir` (default `bench/charts/`), replacing the SVG files there.
 * @returns what was written and what was skipped, one line each.
 */
export async function writeCharts(
  results: Record<string, unknown>,
  dir: string = CHARTS_DIR,
): Promise<string[]> {
  const outcomes = await buildCharts(results);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.endsWith('.svg')) rmSync(join(dir, old));
  return outcomes.map((o) => {
    if ('skipped' in o) return `${o.file}: not drawn: ${o.skipped}`;
    writeFileSync(join(dir, o.file), o.svg);
    return `${join(dir, o.file)} (${(o.svg.length / 1024).toFixed(1)} KB)`;
  });
}
