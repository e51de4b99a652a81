/**
 * Builds the local console's page (`npm run build:console`) into `dist/console/` (never committed):
 * `index.html`, and `app.js` + `app.css` bundled by esbuild from `cli/console/ui/` with Preact, htm
 * and uPlot, so the page loads nothing from another origin. `local up` and `npm start -- --console`
 * run this when the page is missing or older than its source (cli/console/assets.ts), the tests'
 * global setup and `npm run build` always.
 */
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './handler-bundles.js';

/** The page's source folder. */
export const CONSOLE_UI_DIR = join(ROOT, 'cli', 'console', 'ui');

/** Where the page is built (cli/console/assets.ts serves it from there). */
export const CONSOLE_DIST_DIR = join(ROOT, 'dist', 'console');

/** Bundles the console's page into `dist/console/`; returns the bundle's sizes in bytes. */
export async function buildConsole(): Promise<{ js: number; css: number }> {
  rmSync(CONSOLE_DIST_DIR, { recursive: true, force: true });
  mkdirSync(CONSOLE_DIST_DIR, { recursive: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(CONSOLE_UI_DIR, 'main.ts') },
    outdir: CONSOLE_DIST_DIR,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // Debian's Chromium and any browser of the last few years.
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    tsconfig: join(CONSOLE_UI_DIR, 'tsconfig.json'),
    logLevel: 'warning',
  });
  copyFileSync(join(CONSOLE_UI_DIR, 'index.html'), join(CONSOLE_DIST_DIR, 'index.html'));
  return {
    js: statSync(join(CONSOLE_DIST_DIR, 'app.js')).size,
    css: statSync(join(CONSOLE_DIST_DIR, 'app.css')).size,
  };
}

// Run as a script (`npm run build:console`), not when imported (the package build, the test setup).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = await buildConsole();
  process.stderr.write(
    `console → dist/console/ (app.js ${(sizes.js / 1024).toFixed(0)} KB, app.css ${(sizes.css / 1024).toFixed(0)} KB)\n`,
  );
}
