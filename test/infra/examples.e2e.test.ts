import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from './synth.js';

/**
 * The default app (bin/app.ts, what `npx cdk synth -c config=…` runs) in a child process, on the
 * default example config and on an invalid one, and every example app (`examples/<name>/app.ts`):
 * synthesis offline, with cdk.json's context and the cdk-nag packs, exactly as the CLI runs it — only
 * bundling is skipped (the handlers only have to exist; `npx cdk synth` bundles them too). The examples
 * import the package by its name, which resolves to this repository's build. The other example configs
 * are synthesized in process the same way (example-configs.test.ts): a child process costs an
 * aws-cdk-lib import each.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kd-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type TemplateJson = { Resources: Record<string, { Type: string }>; Outputs?: Record<string, unknown> };

interface AppRun {
  readonly status: number | null;
  readonly stderr: string;
  /** The default app's stack. */
  readonly template?: TemplateJson;
  /** Every stack's template, by stack name. */
  readonly templates: Readonly<Record<string, TemplateJson>>;
}

/** The templates of a cloud assembly, by stack name (none when synth failed before writing them). */
function templatesIn(outdir: string): Record<string, TemplateJson> {
  let files: string[];
  try {
    files = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  } catch {
    return {};
  }
  return Object.fromEntries(
    files.map((f) => [f.replace(/\.template\.json$/, ''), JSON.parse(readFileSync(join(outdir, f), 'utf8'))]),
  );
}

/** The example apps: `examples/<name>/app.ts`. */
const EXAMPLE_APPS = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => readdirSync(join(ROOT, 'examples', name)).includes('app.ts'))
  .sort();

/** Runs bin/app.ts with `-c config=<file>`; the AWS SDK and CDK get no credentials and no network. */
function runApp(config: string, name: string): Promise<AppRun> {
  return runEntry('bin/app.ts', { config: isAbsolute(config) ? config : join(ROOT, config) }, name);
}

/** Runs a CDK app entry with tsx, cdk.json's context and `context`, writing its assembly to `<scratch>/<name>`. */
function runEntry(entry: string, context: Record<string, unknown>, name: string): Promise<AppRun> {
  const outdir = join(scratch, name);
  return runNode([entry], context, outdir).then((run) => {
    const templates = templatesIn(outdir);
    const template = templates.KinesisDestination;
    return { ...run, templates, ...(template === undefined ? {} : { template }) };
  });
}

/** Runs `node --import tsx <args>` with cdk.json's context and `context`; `CDK_OUTDIR` is `outdir`. */
function runNode(
  args: readonly string[],
  context: Record<string, unknown>,
  outdir: string,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] }),
        CDK_OUTDIR: outdir,
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
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
    "stops an invalid config with parseConfig's messages, each naming its path and the fix (all of them, in one run)",
    async () => {
      // The fixture's analytics destination has a roleArn without externalId; a bad stream name is added.
      const fixture = JSON.parse(
        readFileSync(join(ROOT, 'test/infra/fixtures/cross-account-without-external-id.json'), 'utf8'),
      ) as { destinations: Record<string, unknown>[] };
      (fixture.destinations[0] as Record<string, unknown>).streamName = 'not a stream name!';
      const config = join(scratch, 'invalid-config.json');
      writeFileSync(config, JSON.stringify(fixture));
      const run = await runApp(config, 'invalid-config');

      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        'destinations[1].externalId: is required with roleArn: the role\'s trust policy should require it (sts:ExternalId), so that nobody else can make this pipeline write with that role (the confused-deputy problem). Add "externalId": "<the value the trust policy checks>" (`npx kinesis-destination policy --destination analytics --trust-policy` prints that policy), or, if the role must be trusted without one, say why in "noExternalIdReason"',
      );
      expect(run.stderr).toContain('destinations[0].streamName');
      expect(run.stderr).toContain('is not a Kinesis stream name');
      expect(run.template).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('the example apps (examples/<name>/app.ts)', () => {
  /**
   * Every example app, once, in one child process (test/infra/fixtures/synth-examples.ts: one
   * aws-cdk-lib and cdk-nag load for all of them), each with its own assembly; the tests share it.
   * A failing app fails them all, and the shared stderr names its stack.
   */
  let all: Promise<{ status: number | null; stderr: string }> | undefined;
  const runExample = async (name: string): Promise<AppRun> => {
    all ??= runNode(['test/infra/fixtures/synth-examples.ts', scratch, ...EXAMPLE_APPS], {}, scratch);
    const run = await all;
    return { ...run, templates: templatesIn(join(scratch, `example-${name}`)) };
  };

  it('are the ones the docs name', () => {
    expect(EXAMPLE_APPS).toEqual(['config-file', 'existing-stack', 'two-pipelines']);
  });

  it.concurrent.each(EXAMPLE_APPS)(
    'examples/%s/app.ts synthesizes offline, cdk-nag clean',
    async (name) => {
      const run = await runExample(name);

      expect(run.stderr).not.toMatch(/Error|AwsSolutions-|NIST\.800/);
      expect(run.status).toBe(0);
      const pipelines = Object.values(run.templates).flatMap((t) =>
        Object.values(t.Resources).filter((r) => r.Type === 'Custom::KinesisDestinationBackfill'),
      );
      expect(pipelines).toHaveLength(name === 'two-pipelines' ? 2 : 1);
    },
    SYNTH_TIMEOUT_MS,
  );

  it.concurrent(
    'holds two pipelines in one stack, each with its own outputs',
    async () => {
      const run = await runExample('two-pipelines');
      const outputs = Object.keys(run.templates.ProfileExports?.Outputs ?? {});

      expect(outputs).toEqual(
        expect.arrayContaining([
          'StagingPipelineName',
          'ProdPipelineName',
          'StagingExportQueueUrl',
          'ProdExportQueueUrl',
        ]),
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});
