/**
 * The CLI as people start it, in a child process, with the environment an operator has — no SDK
 * warning variable set: the source shim `bin/kinesis-destination.js` (`npm run cli`, with tsx), and
 * the package's `bin`, the compiled `dist/esm/bin/cli.js` (`npx kinesis-destination`; the test setup
 * builds it).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { emitWarningIfUnsupportedVersion, state } from '@aws-sdk/core/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  nodeMajor,
  quietSdkNodeWarning,
  SDK_NODE_WARNING_VARIABLE,
  SDK_SUPPORTED_NODE_MAJOR,
} from '../../cli/node-support.js';

const run = promisify(execFile);
const ENTRY = 'bin/kinesis-destination.js';

/** The test environment without the SDK warning variable vitest sets, plus `extra`. */
function operatorEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!(SDK_NODE_WARNING_VARIABLE in extra)) delete env[SDK_NODE_WARNING_VARIABLE];
  return env;
}

async function start(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `dlq list` builds SQS and DynamoDB clients, then fails at once on the closed endpoint. */
const DLQ_LIST_ENV = {
  DLQ_URL: 'http://127.0.0.1:9/000000000000/dlq.fifo',
  STATE_TABLE_NAME: 'kinesis-destination-state',
  KD_CONFIG: 'examples/config.json',
};

const noteLines = (stderr: string) => stderr.split('\n').filter((line) => line.includes('Node.js'));
const expectedNotes = nodeMajor(process.version) < SDK_SUPPORTED_NODE_MAJOR ? 1 : 0;

describe('the kinesis-destination entry', () => {
  it.concurrent('prints the help with nothing before it', async () => {
    const { code, stdout, stderr } = await start(process.execPath, [ENTRY, '--help'], operatorEnv());

    expect(code).toBe(0);
    expect(stdout.startsWith('Usage: kinesis-destination [options] [command]')).toBe(true);
    expect(stderr).toBe('');
  });

  it.concurrent("replaces the SDK's seven-line Node.js warning by at most one line", async () => {
    const { code, stderr } = await start(process.execPath, [ENTRY, 'dlq', 'list'], operatorEnv(DLQ_LIST_ENV));

    expect(code).toBe(1); // the endpoint is closed: the command got as far as calling SQS
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).not.toContain('--trace-warnings');
    expect(noteLines(stderr)).toHaveLength(expectedNotes);
  });

  it.concurrent("leaves the operator's own setting of the variable alone", async () => {
    const { stderr } = await start(
      process.execPath,
      [ENTRY, 'dlq', 'list'],
      operatorEnv({ ...DLQ_LIST_ENV, [SDK_NODE_WARNING_VARIABLE]: 'true' }),
    );

    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(noteLines(stderr)).toHaveLength(0);
  });

  it.concurrent('runs as `npx kinesis-destination` from the repository (npm exec finds the package own bin)', async () => {
    const { code, stdout } = await start(
      'npx',
      ['--offline', 'kinesis-destination', '--help'],
      operatorEnv(),
    );

    expect(code).toBe(0);
    expect(stdout.startsWith('Usage: kinesis-destination')).toBe(true);
  });
});

describe('quietSdkNodeWarning()', () => {
  it('silences the SDK and returns one line on a Node.js the SDK will stop supporting', () => {
    const env: NodeJS.ProcessEnv = {};

    const note = quietSdkNodeWarning(env, `v${SDK_SUPPORTED_NODE_MAJOR - 2}.20.2`);

    expect(env[SDK_NODE_WARNING_VARIABLE]).toBe('true');
    expect(note).toMatch(/^note: Node\.js v\d+\.20\.2: .*need Node\.js >= \d+/);
    expect(note).not.toContain('\n');
  });

  it('says nothing on a supported Node.js', () => {
    expect(quietSdkNodeWarning({}, `v${SDK_SUPPORTED_NODE_MAJOR}.0.0`)).toBeUndefined();
  });

  it('says nothing and changes nothing when the operator set the variable', () => {
    const env: NodeJS.ProcessEnv = { [SDK_NODE_WARNING_VARIABLE]: 'false' };

    expect(quietSdkNodeWarning(env, 'v18.0.0')).toBeUndefined();
    expect(env[SDK_NODE_WARNING_VARIABLE]).toBe('false');
  });
});

describe('SDK_SUPPORTED_NODE_MAJOR', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    state.warningEmitted = false;
  });

  /** Whether the installed SDK warns for `version` (its own check, with the variable unset). */
  function sdkWarns(version: string): boolean {
    vi.stubEnv(SDK_NODE_WARNING_VARIABLE, undefined);
    state.warningEmitted = false;
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    emitWarningIfUnsupportedVersion(version);
    return warn.mock.calls.length > 0;
  }

  it("is the installed SDK's threshold", () => {
    expect(sdkWarns(`v${SDK_SUPPORTED_NODE_MAJOR - 1}.99.0`)).toBe(true);
    expect(sdkWarns(`v${SDK_SUPPORTED_NODE_MAJOR}.0.0`)).toBe(false);
  });
});
