/**
 * `local up`'s console flag: a console port in use stops `local up` at once — before any emulator
 * starts — with exit code 2 and a message naming `--console-port`.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const holder = createServer();
let taken: number;

beforeAll(async () => {
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  taken = (holder.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

describe('local up --console-port', () => {
  it('exits with code 2 naming the flag when the console port is in use, starting no emulator', async () => {
    const started = Date.now();
    const failed = await run(
      process.execPath,
      ['--import', 'tsx', 'bin/cli.ts', 'local', 'up', '--console-port', String(taken)],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain(
      `port ${taken} is already in use, so the console cannot listen on it: stop the process that holds it, or choose another port with --console-port N`,
    );
    expect(failed?.stderr).not.toContain('DynamoDB Local ready');
    // Far below a JVM's start: nothing was started.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
