/**
 * The package build (`npm run build`, run by `prepack`), into `dist/` (never committed):
 *
 * - `dist/handlers/<folder>/index.mjs` — each Lambda handler bundled once (scripts/handler-bundles.ts);
 *   the construct deploys these directories as they are (`lambda.Code.fromAsset`);
 * - `dist/esm/` — the library (`lib/index.ts` and what it imports) and the CLI (`bin/cli.ts`, with the
 *   local stack it loads lazily) as ES modules, one file per source file;
 * - `dist/console/` — the local console's page (scripts/build-console.ts), which `local up` serves;
 * - `dist/cjs/` — the library again as CommonJS, for `require()` (CDK apps are mostly CommonJS);
 * - `*.d.ts` beside both (tsc, tsconfig.build.json), so TypeScript reads `dist/cjs` as CommonJS and
 *   `dist/esm` as ESM declarations.
 *
 * `tsx scripts/build.ts handlers` builds only the handlers (tests, `cdk synth` in this repository);
 * `tsx scripts/build.ts js` the handlers, the JavaScript and the console page, without declarations (the
 * test setup).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildConsole } from './build-console.js';
import { HANDLERS_DIR, handlerBuildOptions, handlerBundles, ROOT } from './handler-bundles.js';
import { installedPackages, missingDeclarationImports, missingRuntimeImports } from './package-surface.js';

const DIST = join(ROOT, 'dist');
const ESM = join(DIST, 'esm');
const CJS = join(DIST, 'cjs');

/** The oldest Node.js the library and the CLI run on (package.json `engines`). */
const LIBRARY_TARGET = 'node20';

/** Bundles every handler into `dist/handlers/`, in parallel; returns each bundle's size in bytes. */
export async function buildHandlers(): Promise<Record<string, number>> {
  rmSync(HANDLERS_DIR, { recursive: true, force: true });
  const bundles = handlerBundles();
  await Promise.all(bundles.map((b) => build(handlerBuildOptions(b))));
  return Object.fromEntries(bundles.map((b) => [b.name, statSync(join(b.outdir, 'index.mjs')).size]));
}

/**
 * The project's source files an entry reaches (static and literal dynamic imports), relative to the
 * root; packages are not followed, and each one imported must be one a consumer installs.
 * @throws Error naming each import of a package that is not a dependency or peer dependency.
 */
async function reachableFiles(entry: string): Promise<string[]> {
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    outdir: join(DIST, '.reach'),
    logLevel: 'error',
  });
  const missing = missingRuntimeImports(metafile, entry, installedPackages(ROOT));
  if (missing.length > 0) {
    throw new Error(
      `${entry} reaches packages a consumer does not install (make them dependencies, or load them lazily):\n${missing.map((m) => `  ${m.file}: ${m.specifier}`).join('\n')}`,
    );
  }
  return Object.keys(metafile.inputs).filter((f) => f.endsWith('.ts'));
}

/** The library and the CLI as JavaScript: ESM for both, CommonJS for the library. */
export async function buildJavaScript(): Promise<{ esm: number; cjs: number }> {
  rmSync(ESM, { recursive: true, force: true });
  rmSync(CJS, { recursive: true, force: true });
  const library = await reachableFiles('lib/index.ts');
  const cli = await reachableFiles('bin/cli.ts');
  const esmFiles = [...new Set([...library, ...cli])];
  const common = {
    absWorkingDir: ROOT,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    target: LIBRARY_TARGET,
  } as const;
  await build({ ...common, entryPoints: esmFiles, outdir: ESM, format: 'esm', logLevel: 'warning' });
  await build({
    ...common,
    entryPoints: library,
    outdir: CJS,
    format: 'cjs',
    // The one ESM-only construct the library uses: where a module is (the handlers beside it).
    define: { 'import.meta.url': '__kdImportMetaUrl' },
    banner: { js: "const __kdImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  // The package is "type": "module"; this folder's .js and .d.ts files are CommonJS.
  writeFileSync(join(CJS, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  chmodSync(join(ESM, 'bin', 'cli.js'), 0o755);
  return { esm: esmFiles.length, cjs: library.length };
}

/** Every file under `dir` whose name ends with `suffix`, relative to `dir`. */
function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix));
}

/** The library's declarations (tsc), into `dist/esm/` and copied to `dist/cjs/`. */
export function buildDeclarations(): number {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const missing = missingDeclarationImports(join(ESM, 'lib', 'index.d.ts'), installedPackages(ROOT));
  if (missing.length > 0) {
    throw new Error(
      `the library's declarations import packages a consumer does not install (a TypeScript app without skipLibCheck fails on them): keep those types out of the exported modules' declarations:\n${missing.map((m) => `  ${m.file}: ${m.specifier}`).join('\n')}`,
    );
  }
  const declarations = filesUnder(ESM, '.d.ts');
  for (const file of declarations) {
    mkdirSync(join(CJS, file, '..'), { recursive: true });
    cpSync(join(ESM, file), join(CJS, file));
  }
  return declarations.length;
}

/**
 * Builds `mode`: everything (undefined), only the handlers (`handlers`), or the handlers and the
 * JavaScript without declarations (`js`); logs what it built.
 * @throws Error on an unknown mode, a failed build, or an import a consumer could not satisfy.
 */
export async function buildPackage(
  mode: string | undefined,
  // Progress on stderr: stdout stays free for what runs the build (`npm pack --json`, `cdk synth`).
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (mode !== undefined && mode !== 'handlers' && mode !== 'js') {
    throw new Error(`unknown build mode "${mode}": use no argument (everything), "handlers" or "js"`);
  }
  const sizes = await buildHandlers();
  const listed = Object.entries(sizes).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KB`);
  log(`handlers → ${relative(ROOT, HANDLERS_DIR)}/ (${listed.join(', ')}) ${elapsed()}`);
  if (mode === 'handlers') return;
  const js = await buildJavaScript();
  log(`javascript → dist/esm (${js.esm} files), dist/cjs (${js.cjs} files) ${elapsed()}`);
  const page = await buildConsole();
  log(
    `console → dist/console (app.js ${(page.js / 1024).toFixed(0)} KB, app.css ${(page.css / 1024).toFixed(0)} KB) ${elapsed()}`,
  );
  if (mode === 'js') return;
  const declarations = buildDeclarations();
  log(`declarations → dist/esm, dist/cjs (${declarations} files each) ${elapsed()}`);
}

// Run as a script (`tsx scripts/build.ts [mode]`), not when imported (the test setup).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildPackage(process.argv[2]);
}
