import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_FOLDERS = ['bin', 'cli', 'bench', 'local', 'lib', 'lambdas', 'adapters', 'core', 'examples'];
const MAX_LINES = 400;

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

describe('repository layout', () => {
  it(`keeps every non-test source file at ${MAX_LINES} lines or fewer`, () => {
    const long = SOURCE_FOLDERS.flatMap(sourceFiles)
      .map((path) => ({ path, lines: readFileSync(join(ROOT, path), 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.path}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });

  it("lists every top-level folder in the README's layout table, and nothing that is not there", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Repository layout'));
    const listed = new Set([...table.matchAll(/^\| `([\w-]+)\/`/gm)].map((m) => m[1]));
    for (const m of table.matchAll(/^\| `[\w-]+\/`, `([\w-]+)\/`/gm)) listed.add(m[1]);
    const folders = readdirSync(ROOT).filter(
      (name) =>
        !name.startsWith('.') &&
        !['node_modules', 'cdk.out', 'dist', 'coverage'].includes(name) &&
        statSync(join(ROOT, name)).isDirectory(),
    );
    expect([...listed].sort()).toEqual(folders.sort());
  });

  it('has a layer diagram at the top of docs/ARCHITECTURE.md naming every source folder', () => {
    const architecture = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const layers = architecture.slice(0, architecture.indexOf('## Flow'));
    expect(layers.startsWith('# Architecture and contracts\n\n## Layers')).toBe(true);
    for (const folder of SOURCE_FOLDERS) expect(layers, relative(ROOT, folder)).toContain(`${folder}/`);
  });
});
