/**
 * How the Lambda handlers are bundled, in one place: the package build (`scripts/build.ts`, into
 * `dist/handlers/<folder>/index.mjs`) and the bundle benchmark (`bench/bundles.ts`) use these options.
 */
import { join, resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { HANDLER_FOLDERS, type HandlerEntries } from '../lib/kinesis-destination-defaults.js';
import { PIPELINE_NODE_FLOOR } from '../lib/pipeline-function.js';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..');

/** Where the prebundled handlers go: `dist/handlers/<folder>/` (lib/kinesis-destination-defaults.ts reads them there). */
export const HANDLERS_DIR = join(ROOT, 'dist', 'handlers');

/** A function's name, its source entry (exports `handler`) and its bundle's directory. */
export interface HandlerBundle {
  readonly name: keyof HandlerEntries;
  readonly entry: string;
  readonly outdir: string;
}

/** Every function's bundle: `lambdas/<folder>/handler.ts` → `dist/handlers/<folder>/index.mjs`. */
export function handlerBundles(outRoot: string = HANDLERS_DIR): HandlerBundle[] {
  return Object.entries(HANDLER_FOLDERS).map(([name, folder]) => ({
    name: name as keyof HandlerEntries,
    entry: join(ROOT, 'lambdas', folder, 'handler.ts'),
    outdir: join(outRoot, folder),
  }));
}

/**
 * The esbuild options of one handler bundle: ESM (`index.mjs`), minified, with a source map (the
 * functions run with `--enable-source-maps`), for the oldest Node.js runtime the functions may
 * resolve to, and without the AWS SDK v3, which the Node.js runtime ships.
 */
export function handlerBuildOptions(
  bundle: HandlerBundle,
  options: { sdkExternal?: boolean } = {},
): BuildOptions {
  return {
    entryPoints: [bundle.entry],
    outfile: join(bundle.outdir, 'index.mjs'),
    bundle: true,
    minify: true,
    sourcemap: true,
    // Stack traces (--enable-source-maps) need the mappings, not the sources: a smaller package and asset.
    sourcesContent: false,
    platform: 'node',
    target: `node${PIPELINE_NODE_FLOOR}`,
    format: 'esm',
    mainFields: ['module', 'main'],
    external: options.sdkExternal === false ? [] : ['@aws-sdk/*'],
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __kdCreateRequire } from 'node:module';const require = __kdCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}
