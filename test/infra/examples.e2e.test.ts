import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from './synth.js';

/**
 * The default app (bin/app.ts, what `npx cdk synth -c config=…` runs) in a child process, on the
 * default example config and on an invalid one: synthesis offline, with cdk.json's context and the
 * cdk-nag packs, exactly as the CLI runs it — only bundling is skipped (the handlers only have to
 * exist; `npx cdk synth` bundles them too). The other example configs are synthesized in process the
 * same way (example-configs.test.ts): a child process costs an aws-cdk-lib import each.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kd-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface AppRun {
  readonly status: number | null;
  readonly stderr: string;
  readonly template?: { Resources: Record<string, { Type: string }>; Outputs?: Record<string, unknown> };
}

/** Runs bin/app.ts with `-c config=<file>`; the AWS SDK and CDK get no credentials and no network. */
function runApp(config: string, name: string): Promise<AppRun> {
  const outdir = join(scratch, name);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_CONTEXT_JSON: JSON.stringify({
          ...cdkJsonContext(),
          config: join(ROOT, config),
          'aws:cdk:bundling-stacks': [],
        }),
        CDK_OUTDIR: outdir,
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      let template: AppRun['template'];
      try {
        template = JSON.parse(readFileSync(join(outdir, 'KinesisDestination.template.json'), 'utf8'));
      } catch {
        template = undefined;
      }
      resolve({ status, stderr, ...(template === undefined ? {} : { template }) });
    });
  });
}

const types = (run: AppRun) => Object.values(run.template?.Resources ?? {}).map((r) => r.Type);

/** A child process that imports aws-cdk-lib and synthesizes with cdk-nag: ~20 s, beyond a minute on a busy machine. */
const SYNTH_TIMEOUT_MS = 150_000;

describe('npx cdk synth on the example configs (offline, cdk-nag clean)', () => {
  it.concurrent(
    'examples/config.json synthesizes',
    async () => {
      const run = await runApp('examples/config.json', 'default');

      expect(run.stderr).not.toMatch(/Error|AwsSolutions-|NIST\.800/);
      expect(run.status).toBe(0);
      expect(types(run)).toContain('Custom::KinesisConnectionCheck');
      expect(types(run).filter((t) => t.startsWith('AWS::EC2::'))).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it.concurrent(
    'stops a roleArn without externalId with the message that names the path and the fix',
    async () => {
      const run = await runApp(
        'test/infra/fixtures/cross-account-without-external-id.json',
        'no-external-id',
      );

      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        'destinations[1].externalId: is required with roleArn: the role\'s trust policy should require it (sts:ExternalId), so that nobody else can make this pipeline write with that role (the confused-deputy problem). Add "externalId": "<the value the trust policy checks>" (`npx kinesis-destination policy --destination analytics --trust-policy` prints that policy), or, if the role must be trusted without one, say why in "noExternalIdReason"',
      );
      expect(run.template).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );
});
