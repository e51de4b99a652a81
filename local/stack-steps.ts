/**
 * The I/O steps of `startLocalStack()`, each on its own: read the config, start the emulators,
 * import the handlers, set the process environment, count a queue's messages. Every step that
 * starts something registers its undo with a {@link Teardown}, so a failure half-way stops exactly
 * what was started.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { DEFAULT_CONFIG_PATH } from '../adapters/config-file.js';
import { readJsonFile } from '../adapters/json-file.js';
import { type DestinationConfig, parseConfig } from '../core/config.js';
import { connectDynamoDb } from './dynamodb-shared.js';
import { type Emulator, startDynamoDb, startKinesis, startSqs } from './emulators.js';
import { LocalStackError } from './errors.js';
import type { LambdaHandler } from './event-sources/invoke.js';
import type { LocalStackPlan } from './stack-plan.js';
import type { HandlerWrapper, LocalStackOptions } from './stack-types.js';

/** Undo steps, run last-in first-out; a failing step does not keep the others from running. */
export class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];

  /** Registers what undoes a step that just succeeded. */
  add(step: () => Promise<void> | void): void {
    this.steps.push(async () => step());
  }

  /** Runs every registered step once, newest first. Never throws. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

/** The stack's config, where it came from, and the JSON the functions receive. */
export interface LoadedConfig {
  readonly config: DestinationConfig;
  /** The config file, when the config came from one. */
  readonly path: string | undefined;
  readonly json: string;
}

/**
 * Reads the config: a file path (default `examples/config.json`) or an already parsed config.
 * @throws UsageError (unreadable file, invalid JSON, with line and column), ConfigError.
 */
export function loadStackConfig(config: string | DestinationConfig | undefined): LoadedConfig {
  if (config === undefined || typeof config === 'string') {
    const path = resolve(config ?? DEFAULT_CONFIG_PATH);
    // The same reader as the CLI: an unreadable file or invalid JSON is a UsageError with line and column.
    const raw = readJsonFile(path, 'config');
    return { config: parseConfig(raw, path), path, json: JSON.stringify(raw) };
  }
  return { config, path: undefined, json: JSON.stringify(config) };
}

/** The three running emulators. */
export interface Emulators {
  readonly dynamodb: Emulator;
  readonly kinesis: Emulator;
  readonly sqs: Emulator;
}

/**
 * Starts the three emulators at once (DynamoDB Local in a temporary data directory when the plan
 * persists it; none when the plan shares a running one), reporting each as it becomes ready.
 * @throws the first emulator's start error (PortInUseError, EmulatorStartError), after the others
 *   settled; what did start is in `teardown`.
 */
export async function startEmulators(
  plan: LocalStackPlan,
  teardown: Teardown,
  progress: (message: string) => void,
): Promise<Emulators> {
  const dataDir = plan.persistDynamoDb ? await mkdtemp(join(tmpdir(), 'kd-dynamodb-')) : undefined;
  if (dataDir !== undefined) teardown.add(() => rm(dataDir, { recursive: true, force: true }));
  progress('starting DynamoDB Local (Java), kinesalite and the SQS emulator…');
  const started = Date.now();
  const startOne = async (label: string, start: () => Promise<Emulator>): Promise<Emulator> => {
    const emulator = await start();
    teardown.add(() => emulator.stop());
    progress(`${label} ready on ${emulator.endpoint} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return emulator;
  };
  const shared = plan.sharedDynamoDb;
  const results = await Promise.allSettled([
    shared === undefined
      ? startOne('DynamoDB Local', () =>
          startDynamoDb({ ...plan.emulators.dynamodb, ...(dataDir !== undefined && { dataDir }) }),
        )
      : startOne('DynamoDB Local (shared)', () => connectDynamoDb(shared.endpoint)),
    startOne('Kinesis (kinesalite)', () => startKinesis(plan.emulators.kinesis)),
    startOne('SQS (local-aws-sqs)', () => startSqs(plan.emulators.sqs)),
  ]);
  const values: Emulator[] = [];
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
    values.push(result.value);
  }
  const [dynamodb, kinesis, sqs] = values as [Emulator, Emulator, Emulator];
  return { dynamodb, kinesis, sqs };
}

/**
 * The handler modules: their source in a clone (run with tsx), the package's prebundled handlers
 * where it is installed (this module is then dist/esm/local/stack-steps.js, beside dist/handlers/).
 */
const HANDLER_MODULES = import.meta.url.endsWith('.ts')
  ? { decide: '../lambdas/decide/handler.ts', export: '../lambdas/export/handler.ts' }
  : { decide: '../../handlers/decide/index.mjs', export: '../../handlers/export/index.mjs' };

async function importHandler<E>(name: 'decide' | 'export'): Promise<LambdaHandler<E, unknown>> {
  const url = new URL(HANDLER_MODULES[name], import.meta.url);
  let module: { handler?: unknown };
  try {
    module = (await import(pathToFileURL(url.pathname).href)) as { handler?: unknown };
  } catch (error) {
    throw new LocalStackError(
      `cannot import the ${name} function (${url.pathname}): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (typeof module.handler !== 'function')
    throw new LocalStackError(`${url.pathname} does not export a function named "handler"`);
  return module.handler as LambdaHandler<E, unknown>;
}

function wrap<E>(
  handler: LambdaHandler<E, unknown>,
  wrapper: HandlerWrapper<E> | undefined,
): LambdaHandler<E, unknown> {
  return wrapper === undefined ? handler : wrapper(handler);
}

/**
 * The handlers the runtime invokes: the given ones, else `lambdas/<name>/handler.ts` imported now
 * (after the environment is set: the functions read it when first imported), then wrapped.
 * @throws LocalStackError when a handler module cannot be imported or exports no handler.
 */
export async function loadHandlers(options: Pick<LocalStackOptions, 'handlers' | 'wrapHandlers'>): Promise<{
  decide: LambdaHandler<DynamoDBStreamEvent, unknown>;
  export: LambdaHandler<SQSEvent, unknown>;
}> {
  const decide = options.handlers?.decide ?? (await importHandler<DynamoDBStreamEvent>('decide'));
  const exporter = options.handlers?.export ?? (await importHandler<SQSEvent>('export'));
  return {
    decide: wrap(decide, options.wrapHandlers?.decide),
    export: wrap(exporter, options.wrapHandlers?.export),
  };
}

/** Sets `variables` in `process.env`; the teardown restores the previous values. */
export function setProcessEnv(variables: Readonly<Record<string, string>>, teardown: Teardown): void {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(variables)) {
    if (!saved.has(key)) saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  teardown.add(() => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}

/**
 * Messages in a queue: visible, in flight and delayed.
 * @throws the SDK's error.
 */
export async function countQueueMessages(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
