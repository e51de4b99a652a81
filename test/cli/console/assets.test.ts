import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isConsoleStale, packageRoot } from '../../../cli/console/assets.js';

let root: string | undefined;

afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A package folder with the page's source (a clone) or without (the installed package), built at `builtAt`. */
function packageFolder(options: { source: boolean; builtAt?: number; sourceAt?: number }): string {
  root = mkdtempSync(join(tmpdir(), 'kd-console-root-'));
  writeFileSync(join(root, 'package.json'), '{"name":"kinesis-destination"}');
  if (options.source) {
    mkdirSync(join(root, 'cli', 'console', 'ui'), { recursive: true });
    const main = join(root, 'cli', 'console', 'ui', 'main.ts');
    writeFileSync(main, '');
    const at = (options.sourceAt ?? 1_000) / 1000;
    utimesSync(main, at, at);
  }
  if (options.builtAt !== undefined) {
    mkdirSync(join(root, 'dist', 'console'), { recursive: true });
    for (const file of ['index.html', 'app.js', 'app.css']) {
      const path = join(root, 'dist', 'console', file);
      writeFileSync(path, '');
      utimesSync(path, options.builtAt / 1000, options.builtAt / 1000);
    }
  }
  return root;
}

describe('isConsoleStale()', () => {
  it('is stale when the page is not built', () => {
    expect(isConsoleStale(packageFolder({ source: true }))).toBe(true);
  });

  it('is stale when the source changed after the build, fresh otherwise', () => {
    expect(isConsoleStale(packageFolder({ source: true, sourceAt: 5_000_000, builtAt: 4_000_000 }))).toBe(
      true,
    );
    rmSync(root as string, { recursive: true });
    expect(isConsoleStale(packageFolder({ source: true, sourceAt: 4_000_000, builtAt: 5_000_000 }))).toBe(
      false,
    );
  });

  it('takes the built page as it is in the installed package (no source to compare with)', () => {
    expect(isConsoleStale(packageFolder({ source: false, builtAt: 1_000 }))).toBe(false);
  });
});

describe('packageRoot()', () => {
  it('finds the package folder above a module, from the source and from dist/esm', () => {
    const folder = packageFolder({ source: true });
    mkdirSync(join(folder, 'dist', 'esm', 'cli', 'console'), { recursive: true });

    expect(packageRoot(join(folder, 'cli', 'console'))).toBe(folder);
    expect(packageRoot(join(folder, 'dist', 'esm', 'cli', 'console'))).toBe(folder);
  });
});
