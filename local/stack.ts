/**
 * The whole pipeline on embedded emulators: `startLocalStack()` starts DynamoDB Local, kinesalite
 * and local-aws-sqs, creates the resources of docs/ARCHITECTURE.md from a destination config, sets
 * the functions' environment, imports the decide and export handlers and runs them behind the local
 * event-source-mapping runtime (`./esm/`).
 *
 * Handlers run in this process, not in child processes or workers: tests and the fault suite wrap
 * them (inject failures, count attempts) with plain closures, a stack trace points into the real
 * source, and there is no bundle or IPC between a test and the code under test. The price: the
 * functions read `process.env` and create their clients when first imported, so one process runs
 * one stack at a time, and restarts keep every port (the handlers keep their endpoints).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { DEFAULT_CONFIG_PATH } from '../adapters/config-file.js';
import { readJsonFile } from '../adapters/json-file.js';
import { type DestinationRecord, readAllRecords } from '../adapters/kinesis-reader.js';
import { type DestinationConfig, parseConfig } from '../core/config.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import {
  createLocalClients,
  destroyLocalClients,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalClients,
} from './clients.js';
import { type Emulator, startDynamoDb, startKinesis, startSqs } from './emulators.js';
import { LocalStackError } from './errors.js';
import { DynamoDbStreamsPoller, type StreamsPollerEvent } from './event-sources/dynamodb-streams-poller.js';
import type { LambdaHandler } from './event-sources/invoke.js';
import { SqsPoller, type SqsPollerEvent } from './event-sources/sqs-poller.js';
import { createResources, type LocalResources, type LocalTimings, localTimings } from './resources.js';
import { waitFor } from './wait.js';

/** The example config `npm start` and `local up` use by default. */
export const EXAMPLE_CONFIG_PATH = DEFAULT_CONFIG_PATH;

/** A handler wrapper: receives the real (or injected) handler, returns the one the runtime invokes. */
export type HandlerWrapper<E> = (handler: LambdaHandler<E, unknown>) => LambdaHandler<E, unknown>;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** A config file path or an already parsed config. @default EXAMPLE_CONFIG_PATH */
  readonly config?: string | DestinationConfig;
  /** Ports; 0 or undefined = a free loopback port (tests run in parallel). */
  readonly ports?: { readonly dynamodb?: number; readonly kinesis?: number; readonly sqs?: number };
  /** Flag names for the "port in use" error. @default --dynamodb-port, --kinesis-port, --sqs-port */
  readonly portFlags?: { readonly dynamodb?: string; readonly kinesis?: string; readonly sqs?: string };
  /**
   * The Kinesis endpoint the functions use instead of the emulator's, e.g. a fault-injecting
   * proxy. A function receives the emulator's endpoint and may start the proxy in front of it.
   * @default - the emulator
   */
  readonly functionKinesisEndpoint?: string | ((emulatorEndpoint: string) => string | Promise<string>);
  /** Handlers used instead of importing `lambdas/<name>/handler.ts`. */
  readonly handlers?: {
    readonly decide?: LambdaHandler<DynamoDBStreamEvent, unknown>;
    readonly export?: LambdaHandler<SQSEvent, unknown>;
  };
  /** Wrappers around the handlers (inject failures, observe invocations). */
  readonly wrapHandlers?: {
    readonly decide?: HandlerWrapper<DynamoDBStreamEvent>;
    readonly export?: HandlerWrapper<SQSEvent>;
  };
  /** Run the event source mappings. @default true */
  readonly runPipeline?: boolean;
  /** Factor for Lambda and visibility timeouts. @default PIPELINE_SETTINGS.localTimeScale */
  readonly timeScale?: number;
  /** Overrides of the scaled timings (e.g. a short visibility timeout for retry tests). */
  readonly timings?: Partial<LocalTimings>;
  /** Overrides of the decide mapping (tests shorten the batching window). */
  readonly decideMapping?: {
    readonly batchSize?: number;
    readonly maxBatchingWindowMs?: number;
    readonly pollIntervalMs?: number;
    readonly retryAttempts?: number;
    readonly maxRecordAgeMs?: number;
  };
  /** Overrides of the export mapping. */
  readonly exportMapping?: {
    readonly batchSize?: number;
    readonly concurrency?: number;
    readonly pollIntervalMs?: number;
  };
  /** Extra environment for the functions (e.g. `POWERTOOLS_LOG_LEVEL`). */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /** Keep DynamoDB Local's data on disk, so `restartDynamoDb()` keeps the tables and the stream. @default false */
  readonly persistDynamoDb?: boolean;
  /** Progress lines while starting ("DynamoDB Local ready on …"). */
  readonly onProgress?: (message: string) => void;
  /** Every runtime event of both mappings (invocations, discards, transient errors). */
  readonly onRuntimeEvent?: (event: RuntimeEvent) => void;
}

/** An event of the local runtime, tagged with its mapping. */
export type RuntimeEvent =
  | ({ readonly mapping: 'decide' } & StreamsPollerEvent)
  | ({ readonly mapping: 'export' } & SqsPollerEvent);

/** The endpoints of the three emulators. */
export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly kinesis: string;
  readonly sqs: string;
}

/** A running local stack. */
export interface LocalStack {
  /**
   * The environment of the functions plus the CLI variables (`DLQ_URL`, `KD_CONFIG` when the config
   * came from a file): what `local up` prints.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: LocalEndpoints;
  /** The Kinesis endpoint the functions use (the emulator's, or the override). */
  readonly functionKinesisEndpoint: string;
  readonly ports: { readonly dynamodb: number; readonly kinesis: number; readonly sqs: number };
  readonly config: DestinationConfig;
  /** The config file, when the config came from one. */
  readonly configPath: string | undefined;
  readonly resources: LocalResources;
  readonly timings: LocalTimings;
  /** Clients aimed straight at the emulators (never through the Kinesis override). */
  readonly clients: LocalClients;
  /** The destination stream's records, from its start. */
  readRecords(destinationId: string): Promise<DestinationRecord[]>;
  /**
   * Waits until the pipeline is quiet: the stream read to its end with nothing pending, no batch
   * running, the export queue empty (nothing visible or in flight).
   * @throws WaitTimeoutError after `timeoutMs` (default 30 s).
   */
  waitForIdle(options?: { timeoutMs?: number }): Promise<void>;
  /** Messages in a queue (visible + in flight), e.g. `stack.queueDepth('dlq')`. */
  queueDepth(queue: 'export' | 'dlq' | 'rejects' | 'decideFailures'): Promise<number>;
  /** Stops the mappings, the emulators and the JVM; restores the environment. Idempotent. */
  stop(): Promise<void>;
  /** SQS outage: the listener goes away for `downtimeMs`, queues and messages are kept. */
  restartSqs(options?: { downtimeMs?: number }): Promise<void>;
  /** Kinesis outage: the listener goes away for `downtimeMs`, streams and records are kept. */
  restartKinesis(options?: { downtimeMs?: number }): Promise<void>;
  /**
   * Restarts DynamoDB Local on the same port. With `persistDynamoDb` the tables, items and stream
   * survive; without, they are re-created empty and the decide mapping follows the new stream.
   */
  restartDynamoDb(options?: { downtimeMs?: number }): Promise<void>;
}

let running: LocalStack | undefined;

/** The stack running in this process, if any (the CLI's signal handlers stop it). */
export function runningLocalStack(): LocalStack | undefined {
  return running;
}

function loadConfig(config: string | DestinationConfig | undefined): {
  config: DestinationConfig;
  path: string | undefined;
  json: string;
} {
  if (config === undefined || typeof config === 'string') {
    const path = resolve(config ?? EXAMPLE_CONFIG_PATH);
    // The same reader as the CLI: an unreadable file or invalid JSON is a UsageError with line and column.
    const raw = readJsonFile(path, 'config');
    return { config: parseConfig(raw, path), path, json: JSON.stringify(raw) };
  }
  return { config, path: undefined, json: JSON.stringify(config) };
}

const HANDLER_MODULES = {
  decide: '../lambdas/decide/handler.ts',
  export: '../lambdas/export/handler.ts',
} as const;

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

/**
 * Starts the local stack. On any failure everything started so far is stopped before the error
 * is rethrown.
 * @throws PortInUseError, EmulatorStartError, ConfigError, LocalStackError (a second stack in the
 *   same process; a handler module that cannot be imported).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running !== undefined)
    throw new LocalStackError(
      'a local stack is already running in this process: stop it first (the in-process functions keep the endpoints of the first stack)',
    );
  const progress = options.onProgress ?? (() => undefined);
  const { config, path: configPath, json: configJson } = loadConfig(options.config);
  const timings = ((): LocalTimings => {
    const t = localTimings(options.timeScale, options.timings);
    // Lambda refuses an SQS mapping whose queue visibility timeout is shorter than the function timeout.
    return { ...t, exportTimeoutMs: Math.min(t.exportTimeoutMs, t.exportVisibilityTimeoutSeconds * 1000) };
  })();

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  const savedEnv = new Map<string, string | undefined>();

  try {
    const dataDir = options.persistDynamoDb ? await mkdtemp(join(tmpdir(), 'kd-dynamodb-')) : undefined;
    if (dataDir !== undefined) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    progress('starting DynamoDB Local (Java), kinesalite and the SQS emulator…');
    const started = Date.now();
    const startOne = async (label: string, start: () => Promise<Emulator>): Promise<Emulator> => {
      const emulator = await start();
      cleanups.push(() => emulator.stop());
      progress(`${label} ready on ${emulator.endpoint} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return emulator;
    };
    const results = await Promise.allSettled([
      startOne('DynamoDB Local', () =>
        startDynamoDb({
          ...(options.ports?.dynamodb !== undefined && { port: options.ports.dynamodb }),
          ...(options.portFlags?.dynamodb !== undefined && { portFlag: options.portFlags.dynamodb }),
          ...(dataDir !== undefined && { dataDir }),
        }),
      ),
      startOne('Kinesis (kinesalite)', () =>
        startKinesis({
          ...(options.ports?.kinesis !== undefined && { port: options.ports.kinesis }),
          ...(options.portFlags?.kinesis !== undefined && { portFlag: options.portFlags.kinesis }),
        }),
      ),
      startOne('SQS (local-aws-sqs)', () =>
        startSqs({
          ...(options.ports?.sqs !== undefined && { port: options.ports.sqs }),
          ...(options.portFlags?.sqs !== undefined && { portFlag: options.portFlags.sqs }),
        }),
      ),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const [dynamodb, kinesis, sqs] = results.map((r) => (r as PromiseFulfilledResult<Emulator>).value) as [
      Emulator,
      Emulator,
      Emulator,
    ];
    const endpoints: LocalEndpoints = {
      dynamodb: dynamodb.endpoint,
      kinesis: kinesis.endpoint,
      sqs: sqs.endpoint,
    };

    const clients = createLocalClients(endpoints);
    cleanups.push(async () => destroyLocalClients(clients));
    const kinesisFor = (): KinesisClient => clients.kinesis;

    progress('creating tables, queues and streams…');
    let resources = await createResources(
      { dynamodb: clients.dynamodb, sqs: clients.sqs, kinesisFor },
      config,
      timings,
    );

    const functionKinesisEndpoint =
      typeof options.functionKinesisEndpoint === 'function'
        ? await options.functionKinesisEndpoint(endpoints.kinesis)
        : (options.functionKinesisEndpoint ?? endpoints.kinesis);

    const functionEnv: Record<string, string> = {
      KD_CONFIG_JSON: configJson,
      EXPORT_QUEUE_URL: resources.exportQueueUrl,
      REJECTS_QUEUE_URL: resources.rejectsQueueUrl,
      STATE_TABLE_NAME: resources.stateTableName,
      PROFILE_TABLE_NAME: resources.profileTableName,
      EXPORT_MAX_RECEIVE_COUNT: String(timings.maxReceiveCount),
      POWERTOOLS_SERVICE_NAME: 'kinesis-destination',
      POWERTOOLS_METRICS_NAMESPACE: 'KinesisDestination',
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
      AWS_ENDPOINT_URL_KINESIS: functionKinesisEndpoint,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.functionEnv,
    };
    const env: Record<string, string> = {
      ...functionEnv,
      // The CLI talks to the emulators directly, never through a fault proxy.
      AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
      DLQ_URL: resources.deadLetterQueueUrl,
      ...(configPath !== undefined && { KD_CONFIG: configPath }),
    };
    for (const [key, value] of Object.entries(functionEnv)) {
      if (!savedEnv.has(key)) savedEnv.set(key, process.env[key]);
      process.env[key] = value;
    }
    cleanups.push(async () => {
      for (const [key, value] of savedEnv) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    let decidePoller: DynamoDbStreamsPoller | undefined;
    let exportPoller: SqsPoller | undefined;
    const emit = options.onRuntimeEvent ?? (() => undefined);

    const makeDecidePoller = (handler: LambdaHandler<DynamoDBStreamEvent, unknown>) =>
      new DynamoDbStreamsPoller({
        streamsClient: clients.dynamodbStreams,
        streamArn: resources.profileTableStreamArn,
        handler,
        functionName: 'decide',
        timeoutMs: timings.decideTimeoutMs,
        region: LOCAL_REGION,
        onFailure: { sqsClient: clients.sqs, queueUrl: resources.decideFailuresQueueUrl },
        onEvent: (event) => emit({ mapping: 'decide', ...event }),
        ...options.decideMapping,
      });

    let decideHandler: LambdaHandler<DynamoDBStreamEvent, unknown> | undefined;
    if (options.runPipeline ?? true) {
      progress('loading the decide and export functions…');
      const decide = options.handlers?.decide ?? (await importHandler<DynamoDBStreamEvent>('decide'));
      const exporter = options.handlers?.export ?? (await importHandler<SQSEvent>('export'));
      decideHandler = options.wrapHandlers?.decide ? options.wrapHandlers.decide(decide) : decide;
      const exportHandler = options.wrapHandlers?.export ? options.wrapHandlers.export(exporter) : exporter;
      decidePoller = makeDecidePoller(decideHandler);
      exportPoller = new SqsPoller({
        sqsClient: clients.sqs,
        queueUrl: resources.exportQueueUrl,
        handler: exportHandler,
        functionName: 'export',
        timeoutMs: timings.exportTimeoutMs,
        region: LOCAL_REGION,
        onEvent: (event) => emit({ mapping: 'export', ...event }),
        ...options.exportMapping,
      });
      decidePoller.start();
      await exportPoller.start();
      cleanups.push(async () => {
        await Promise.all([decidePoller?.stop(), exportPoller?.stop()]);
      });
      progress(
        `pipeline running: decide (batch ${options.decideMapping?.batchSize ?? PIPELINE_SETTINGS.decide.batchSize}, timeout ${timings.decideTimeoutMs} ms), export (batch ${options.exportMapping?.batchSize ?? PIPELINE_SETTINGS.export.batchSize} × ${options.exportMapping?.concurrency ?? PIPELINE_SETTINGS.export.localConcurrency} concurrent, timeout ${timings.exportTimeoutMs} ms, visibility ${timings.exportVisibilityTimeoutSeconds} s)`,
      );
    }

    const queueUrl = (queue: 'export' | 'dlq' | 'rejects' | 'decideFailures') =>
      ({
        export: resources.exportQueueUrl,
        dlq: resources.deadLetterQueueUrl,
        rejects: resources.rejectsQueueUrl,
        decideFailures: resources.decideFailuresQueueUrl,
      })[queue];

    const queueDepth = async (queue: 'export' | 'dlq' | 'rejects' | 'decideFailures') => {
      const { Attributes = {} } = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl(queue),
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
    };

    let stopped = false;
    const stack: LocalStack = {
      env,
      endpoints,
      functionKinesisEndpoint,
      ports: { dynamodb: dynamodb.port, kinesis: kinesis.port, sqs: sqs.port },
      config,
      configPath,
      get resources() {
        return resources;
      },
      timings,
      clients,
      async readRecords(destinationId) {
        const streamName = resources.streams[destinationId];
        if (streamName === undefined)
          throw new LocalStackError(
            `no destination "${destinationId}" in the config (destinations: ${Object.keys(resources.streams).join(', ')})`,
          );
        return readAllRecords(clients.kinesis, streamName);
      },
      async waitForIdle({ timeoutMs = 30_000 } = {}) {
        if (decidePoller === undefined || exportPoller === undefined) return;
        const decide = decidePoller;
        const exporter = exportPoller;
        const mark = decide.pollCount();
        await waitFor(
          'local pipeline idle',
          async () => {
            if (!decide.isCaughtUp(2) || decide.pollCount() < mark + 2) return false;
            if (!exporter.isIdle()) return false;
            return (await queueDepth('export')) === 0 && exporter.isIdle() && decide.isCaughtUp(2);
          },
          { timeoutMs, intervalMs: 50 },
        );
      },
      queueDepth,
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
        if (running === stack) running = undefined;
      },
      restartSqs: (o) => sqs.restart(o),
      restartKinesis: (o) => kinesis.restart(o),
      async restartDynamoDb(o) {
        await dynamodb.restart(o);
        const before = resources.profileTableStreamArn;
        resources = await createResources(
          { dynamodb: clients.dynamodb, sqs: clients.sqs, kinesisFor },
          config,
          timings,
        );
        if (
          resources.profileTableStreamArn !== before &&
          decidePoller !== undefined &&
          decideHandler !== undefined
        ) {
          // In-memory DynamoDB Local lost the table: follow the re-created table's stream.
          await decidePoller.stop();
          decidePoller = makeDecidePoller(decideHandler);
          decidePoller.start();
        }
      },
    };
    running = stack;
    return stack;
  } catch (error) {
    await cleanup();
    throw error;
  }
}
