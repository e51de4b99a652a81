/**
 * What the built package needs at run time and at type-check time, checked against package.json:
 * a consumer installs `dependencies` (and has the `peerDependencies`), never our devDependencies, so
 * the library, the CLI and the library's declarations may import nothing else. The build fails
 * naming the file and the package otherwise.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { LOCAL_STACK_PACKAGES } from '../cli/local-up.js';

/** The package a bare import specifier names (`@scope/name`, `name`), or undefined for Node built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? ''))
    return undefined;
  const [first, second] = specifier.split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

/** The packages a consumer has: our dependencies and peer dependencies. */
export function installedPackages(root: string): Set<string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  return new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
}

/** One import of a package the consumer does not have. */
export interface MissingImport {
  readonly file: string;
  readonly specifier: string;
}

/**
 * The package imports of an esbuild metafile's graph from `entry` that the consumer lacks. Imports
 * reached only through a dynamic `import()` may also name the local stack's emulator packages
 * (`LOCAL_STACK_PACKAGES`, loaded lazily by cli/local-up.ts).
 */
export function missingRuntimeImports(metafile: Metafile, entry: string, have: Set<string>): MissingImport[] {
  const eager = reach(metafile, entry, false);
  const all = reach(metafile, entry, true);
  const missing: MissingImport[] = [];
  for (const file of all) {
    for (const i of metafile.inputs[file]?.imports ?? []) {
      const pkg = i.external === true ? packageOf(i.path) : undefined;
      if (pkg === undefined || have.has(pkg)) continue;
      const lazyOk = !eager.has(file) && (LOCAL_STACK_PACKAGES as readonly string[]).includes(pkg);
      if (!lazyOk) missing.push({ file, specifier: i.path });
    }
  }
  return missing;
}

/** The project files reachable from `entry`, following dynamic imports or not. */
function reach(metafile: Metafile, entry: string, dynamic: boolean): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const i of metafile.inputs[file]?.imports ?? []) {
      if (i.external === true || (!dynamic && i.kind === 'dynamic-import')) continue;
      queue.push(i.path);
    }
  }
  return seen;
}

/**
 * The package imports of the declaration files a TypeScript consumer loads from `indexDts` (every
 * relative import followed) that the consumer lacks.
 */
export function missingDeclarationImports(indexDts: string, have: Set<string>): MissingImport[] {
  const root = dirname(indexDts);
  const seen = new Set<string>();
  const queue = [resolve(indexDts)];
  const missing: MissingImport[] = [];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const specifier = m[1] as string;
      if (specifier.startsWith('.')) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts')));
        continue;
      }
      const pkg = packageOf(specifier);
      if (pkg !== undefined && !have.has(pkg)) missing.push({ file: relative(root, file), specifier });
    }
  }
  return missing;
}
