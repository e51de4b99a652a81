/**
 * `npm start`: the demo of local/demo.ts (the pipeline on local emulators through the source page's
 * scenario). With `--console` (`npm start -- --console [--console-port <n>]`) the local console
 * (cli/console/) shows the run in a browser, and stays up after the summary until Ctrl-C. An entry
 * at the top layer, because the local stack (local/) may not import the CLI's console.
 */
import { parseArgs } from 'node:util';
import { describeCliError } from '../cli/cli-io.js';
import { CONSOLE_DEFAULT_PORT, LocalConsole } from '../cli/console/local-console.js';
import { runDemo } from '../local/demo.js';

const USAGE = 'usage: npm start [-- --console [--console-port <n>]]';

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function main(): Promise<number> {
  let flags: { console?: boolean; 'console-port'?: string };
  try {
    ({ values: flags } = parseArgs({
      options: { console: { type: 'boolean' }, 'console-port': { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (flags.console !== true) {
    if (flags['console-port'] !== undefined) {
      process.stderr.write(`--console-port needs --console\n${USAGE}\n`);
      return 2;
    }
    return runDemo();
  }
  const port = Number(flags['console-port'] ?? CONSOLE_DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--console-port ${flags['console-port']}: not a TCP port (0–65535)\n`);
    return 2;
  }
  let localConsole: LocalConsole;
  try {
    localConsole = await LocalConsole.open({ port, log: (line) => process.stderr.write(`${line}\n`) });
  } catch (error) {
    const { exitCode, message } = describeCliError(error);
    process.stderr.write(`${message}\n`);
    return error instanceof Error && error.name === 'PortInUseError' ? 2 : exitCode;
  }
  try {
    return await runDemo({
      stackOptions: localConsole.stackOptions,
      onStarted: (stack) => {
        localConsole.attach(stack);
        process.stdout.write(`  local console on ${localConsole.url}\n`);
      },
      afterScenario: async () => {
        process.stdout.write(`\nthe local console stays up on ${localConsole.url}; press Ctrl-C to stop\n`);
        await untilStopped();
        // Before the stack stops: the console's stream readers end first.
        await localConsole.close();
      },
    });
  } finally {
    await localConsole.close();
  }
}

// Handler modules may keep idle keep-alive sockets open: exit explicitly once everything is stopped.
process.exit(await main());
