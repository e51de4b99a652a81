/**
 * Where the console's built page is, and building it when it is missing or older than its source.
 *
 * The page is bundled by `scripts/build-console.ts` (esbuild, a development dependency) into
 * `dist/console/` of the package. In a clone, the source (`cli/console/ui/`) is there and the page is
 * rebuilt when stale, in a child process so the CLI itself never imports esbuild; in the installed
 * package, the page built by `npm run build` ships in `dist/console/` and is used as it is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../core/errors.js';

/** The package's root: the nearest folder up from this module whose package.json is kinesis-destination's. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'kinesis-destination') return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no kinesis-destination package.json above ${from}`);
  }
}

/** The newest modification time (ms) of the files under `dir`, recursively. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    newest = Math.max(newest, statSync(join(dir, entry)).mtimeMs);
  }
  return newest;
}

/** The page's files, all of which must exist. */
const PAGE_FILES = ['index.html', 'app.js', 'app.css'];

/** True when the built page is missing a file or older than the page's source or the lockfile. */
export function isConsoleStale(root: string): boolean {
  const dist = join(root, 'dist', 'console');
  if (!PAGE_FILES.every((f) => existsSync(join(dist, f)))) return true;
  const source = join(root, 'cli', 'console', 'ui');
  if (!existsSync(source)) return false;
  const built = Math.min(...PAGE_FILES.map((f) => statSync(join(dist, f)).mtimeMs));
  const lockfile = join(root, 'package-lock.json');
  return Math.max(newestUnder(source), existsSync(lockfile) ? statSync(lockfile).mtimeMs : 0) > built;
}

/**
 * The folder of the console's built page, built first when missing or stale (in a clone).
 * @throws UsageError when the page is missing and cannot be built here, or its build fails.
 */
export function ensureConsoleAssets(
  log: (line: string) => void = () => undefined,
  root: string = packageRoot(),
): string {
  const dist = join(root, 'dist', 'console');
  if (!isConsoleStale(root)) return dist;
  const script = join(root, 'scripts', 'build-console.ts');
  if (!existsSync(script)) {
    throw new UsageError(
      `the console's page is not in this installation (${dist} is missing): run local up with --no-console, or reinstall the package`,
    );
  }
  log('building the console page (npm run build:console)…');
  // tsx (a development dependency, present wherever the source is) runs the TypeScript build script.
  const built = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) {
    throw new UsageError(
      `building the console page failed (npm run build:console): ${(built.stderr || built.error?.message || '').trim()}`,
    );
  }
  return dist;
}
