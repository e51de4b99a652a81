/**
 * Runs CLI commands in this process, as `kinesis-destination` would (commander, argv), with an
 * environment of their own (e.g. what `local up` prints) and their output captured. The SDK clients
 * the commands create read the environment when they are made, so each run sees its own.
 */
import { Command } from 'commander';
import { vi } from 'vitest';
import { describeCliError } from '../../cli/cli-io.js';

/** What a run printed and how it ended. */
export interface CliRun {
  readonly exitCode: number;
  /** The message of the error that ended it, as the CLI prints it. */
  readonly message: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** What was written to stdout and stderr, chunk by chunk, until `restore()`. */
export interface CapturedOutput {
  readonly stdout: string[];
  readonly stderr: string[];
  restore(): void;
}

/** Captures process.stdout and process.stderr writes (nothing reaches the terminal) until `restore()`. */
export function captureOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  return {
    stdout,
    stderr,
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/**
 * Registers the commands on a fresh program and runs `args` with `env` over the process's
 * environment (restored after).
 */
export async function runCli(
  register: (program: Command) => void,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<CliRun> {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(env)) {
    saved.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const output = captureOutput();
  process.exitCode = undefined;
  let exitCode = 0;
  let message: string | undefined;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'kinesis-destination', ...args]);
    exitCode = Number(process.exitCode ?? 0);
  } catch (error) {
    ({ exitCode, message } = describeCliError(error));
  } finally {
    output.restore();
    process.exitCode = undefined;
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return { exitCode, message, stdout: output.stdout.join(''), stderr: output.stderr.join('') };
}
