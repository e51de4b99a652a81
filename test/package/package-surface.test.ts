import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  missingDeclarationImports,
  missingRuntimeImports,
  packageOf,
} from '../../scripts/package-surface.js';

const scratch = mkdtempSync(join(tmpdir(), 'kd-surface-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const have = new Set(['aws-cdk-lib', 'constructs', 'zod', '@aws-sdk/client-sqs']);

/** A metafile of `imports` by file: a path starting with `./` is a project file, else a package. */
function metafile(imports: Record<string, [path: string, kind?: 'dynamic-import'][]>): Metafile {
  return {
    inputs: Object.fromEntries(
      Object.entries(imports).map(([file, list]) => [
        file,
        {
          bytes: 0,
          imports: list.map(([path, kind]) => ({
            path: path.replace(/^\.\//, ''),
            kind: kind ?? 'import-statement',
            ...(path.startsWith('./') ? {} : { external: true }),
          })),
        },
      ]),
    ),
    outputs: {},
  } as Metafile;
}

describe('packageOf()', () => {
  it('names the package of a bare import, and nothing for a Node built-in', () => {
    expect(packageOf('@aws-sdk/client-sqs')).toBe('@aws-sdk/client-sqs');
    expect(packageOf('aws-cdk-lib/aws-lambda')).toBe('aws-cdk-lib');
    expect(packageOf('node:fs')).toBeUndefined();
    expect(packageOf('fs/promises')).toBeUndefined();
  });
});

describe('missingRuntimeImports()', () => {
  it('reports a package the consumer does not install, with the file that imports it', () => {
    const graph = metafile({
      'bin/cli.ts': [['./cli/a.ts'], ['zod']],
      'cli/a.ts': [['@middy/core'], ['node:fs']],
    });

    expect(missingRuntimeImports(graph, 'bin/cli.ts', have)).toEqual([
      { file: 'cli/a.ts', specifier: '@middy/core' },
    ]);
  });

  it("accepts the local stack's emulator packages behind a dynamic import only", () => {
    const lazy = metafile({
      'bin/cli.ts': [['./local/stack.ts', 'dynamic-import']],
      'local/stack.ts': [['local-aws-sqs'], ['tsx']],
    });
    const eager = metafile({ 'bin/cli.ts': [['./local/stack.ts']], 'local/stack.ts': [['local-aws-sqs']] });

    expect(missingRuntimeImports(lazy, 'bin/cli.ts', have)).toEqual([
      { file: 'local/stack.ts', specifier: 'tsx' },
    ]);
    expect(missingRuntimeImports(eager, 'bin/cli.ts', have)).toEqual([
      { file: 'local/stack.ts', specifier: 'local-aws-sqs' },
    ]);
  });
});

describe('missingDeclarationImports()', () => {
  it('follows relative imports from the index and reports packages the consumer lacks', () => {
    const dir = join(scratch, 'dts');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    writeFileSync(join(dir, 'index.d.ts'), "export * from './lib/a.js';\nimport type { z } from 'zod';\n");
    writeFileSync(
      join(dir, 'lib', 'a.d.ts'),
      "import type { Context } from 'aws-lambda';\nexport type A = Context;\n",
    );
    writeFileSync(
      join(dir, 'lib', 'unreached.d.ts'),
      "import type { Logger } from '@aws-lambda-powertools/logger';\n",
    );

    expect(missingDeclarationImports(join(dir, 'index.d.ts'), have)).toEqual([
      { file: 'lib/a.d.ts', specifier: 'aws-lambda' },
    ]);
  });
});
