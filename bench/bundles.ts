/**
 * Benchmark 6 — each function's prebundled handler, as the package ships it and the construct deploys
 * it (`dist/handlers/<folder>/index.mjs`, built by scripts/build.ts with scripts/handler-bundles.ts:
 * esbuild, bundle, minify, ESM, platform node, the runtime floor's target, `@aws-sdk/*` external
 * because the Lambda runtime ships it), its size, and its module-init time: a fresh `node` process
 * imports the bundle, with the example config in `KD_CONFIG_JSON` (on AWS it is read from the config
 * layer's file), and reports how long the import took. The SDK modules the bundle imports are loaded
 * from this project's node_modules, as the runtime loads its own.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { backfillEnvironment } from '../lambdas/backfill/environment.js';
import { commonEnvironment, configEnvironment } from '../lambdas/commons/environment.js';
import { decideEnvironment } from '../lambdas/decide/environment.js';
import { exportEnvironment } from '../lambdas/export/environment.js';
import { buildHandlers } from '../scripts/build.js';
import { type HandlerBundle, handlerBuildOptions, handlerBundles, ROOT } from '../scripts/handler-bundles.js';
import { median, round } from './stats.js';

const run = promisify(execFile);
// Inside node_modules: ignored by git, and bare `@aws-sdk/*` imports resolve from the project.
const OUT = join(ROOT, 'node_modules', '.cache', 'kd-bench');

export interface BundleResult {
  entry: string;
  /** Bytes of the minified bundle (without its source map). */
  bytes: number;
  gzipBytes: number;
  /** Median milliseconds to import the bundle in a fresh node process. */
  initMs: number;
  /** Median wall time of the whole fresh process (node start + import + exit). */
  processMs: number;
  /** The same with the AWS SDK bundled in (what an older runtime without the SDK would need). */
  withSdk: { bytes: number; initMs: number };
}

const PROBE = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(JSON.stringify({ initMs: performance.now() - started }));
`;

async function measureInit(file: string, runs: number): Promise<{ initMs: number; processMs: number }> {
  const init: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', PROBE, file], {
      cwd: OUT,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...configEnvironment(readFileSync(join(ROOT, 'examples', 'config.json'), 'utf8')),
        ...commonEnvironment(),
        ...decideEnvironment({
          exportQueueUrl: 'http://127.0.0.1:1/queue/export.fifo',
          rejectsQueueUrl: 'http://127.0.0.1:1/queue/rejects',
        }),
        ...exportEnvironment({
          stateTableName: 'state',
          exportQueueUrl: 'http://127.0.0.1:1/queue/export.fifo',
          deadLetterQueueUrl: 'http://127.0.0.1:1/queue/export-dlq.fifo',
          exportMaxReceiveCount: 3,
        }),
        ...backfillEnvironment({
          profileTableName: 'profiles',
          stateTableName: 'state',
          exportQueueUrl: 'http://127.0.0.1:1/queue/export.fifo',
        }),
      },
      timeout: 30_000,
    });
    wall.push(performance.now() - started);
    init.push((JSON.parse(stdout) as { initMs: number }).initMs);
  }
  return { initMs: round(median(init), 1), processMs: round(median(wall), 1) };
}

/** Builds the handlers as the package does (`dist/handlers/`), and measures each. */
export async function runBundleBench(
  options: { runs?: number } = {},
): Promise<{ functions: Record<string, BundleResult>; missing: string[] }> {
  const runs = options.runs ?? 7;
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // The bundles import @aws-sdk/* from node_modules: resolve them from the project root.
  writeFileSync(join(OUT, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await buildHandlers();
  const functions: Record<string, BundleResult> = {};
  for (const bundle of handlerBundles()) {
    const file = join(bundle.outdir, 'index.mjs');
    // The same bundle with the SDK inside (what an older runtime without the SDK would need).
    const withSdk = handlerBundles(join(OUT, 'with-sdk')).find(
      (b) => b.name === bundle.name,
    ) as HandlerBundle;
    await build(handlerBuildOptions(withSdk, { sdkExternal: false }));
    const fullFile = join(withSdk.outdir, 'index.mjs');
    const lean = await measureInit(file, runs);
    const full = await measureInit(fullFile, runs);
    const code = readFileSync(file);
    functions[bundle.name] = {
      entry: relative(ROOT, bundle.entry),
      bytes: statSync(file).size,
      gzipBytes: gzipSync(code).length,
      initMs: lean.initMs,
      processMs: lean.processMs,
      withSdk: { bytes: statSync(fullFile).size, initMs: full.initMs },
    };
  }
  return { functions, missing: [] };
}
