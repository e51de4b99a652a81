import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleConfig } from './synth.js';

/**
 * The app as a user runs it: bin/app.ts in a child process. (The cdk-nag packs on the synthesized stack:
 * nag.test.ts; the prebundled handlers and the config layer: assets.test.ts.)
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kd-infra-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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
