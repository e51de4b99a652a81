import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleConfig } from './synth.js';

const run = promisify(execFile);

/**
 * The app as files on disk, each in a child process: the functions bundled by esbuild, and bin/app.ts.
 * (The cdk-nag packs on the synthesized stack: nag.test.ts.)
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kd-infra-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** esbuild bundles the functions and the stack is synthesized: ~15 s, beyond a minute on a busy machine. */
const BUNDLE_TIMEOUT_MS = 150_000;

describe('bundling', () => {
  it(
    'inlines the config into the bundle instead of the environment',
    async () => {
      const outdir = join(scratch, 'bundled');
      await run(process.execPath, ['--import', 'tsx', 'test/infra/fixtures/synth-bundled.ts', outdir], {
        cwd: ROOT,
      });
      const bundles = readdirSync(outdir)
        .filter((d) => d.startsWith('asset.'))
        .map((d) => join(outdir, d, 'index.mjs'))
        .filter((f) => {
          try {
            return readFileSync(f, 'utf8').length > 0;
          } catch {
            return false;
          }
        });
      // Functions whose entry is the same file share one asset.
      expect(bundles.length).toBeGreaterThanOrEqual(2);
      const code = bundles.map((f) => readFileSync(f, 'utf8'));
      // Every bundle that reads the config has it as a literal; none reads it from the environment.
      for (const c of code) expect(c).not.toContain('process.env.KD_CONFIG_JSON');
      expect(code.some((c) => c.includes('ConnectionCheckError'))).toBe(true);
      expect(code.filter((c) => c.includes('profile-analytics')).length).toBeGreaterThanOrEqual(1);
    },
    BUNDLE_TIMEOUT_MS,
  );
});

describe('bin/app.ts', () => {
  it("fails with parseConfig's message on an invalid config", () => {
    const bad = join(scratch, 'bad-config.json');
    const raw = structuredClone(exampleConfig()) as unknown as { destinations: Record<string, unknown>[] };
    (raw.destinations[0] as Record<string, unknown>).streamName = 'not a stream name!';
    writeFileSync(bad, JSON.stringify(raw));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: bad }),
        CDK_OUTDIR: join(scratch, 'bad'),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('destinations[0].streamName');
    expect(result.stderr).toContain('is not a Kinesis stream name');
  });
});
