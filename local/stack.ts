/**
 * The whole pipeline on embedded emulators: `startLocalStack()` starts DynamoDB Local, kinesalite
 * and local-aws-sqs, creates the resources of docs/ARCHITECTURE.md from a destination config, sets
 * the functions' environment, imports the decide and export handlers and runs them behind the local
 * event-source-mapping runtime (`./event-sources/`).
 *
 * `stack-plan.ts` decides what to start from the options (pure); `stack-steps.ts` and
 * `local-pipeline.ts` do it; this file puts the steps in order and hands out the running stack.
 *
 * Handlers run in this process, not in child processes or workers: tests and the fault suite wrap
 * them (inject failures, count attempts) with plain closures, a stack trace points into the real
 * source, and there is no bundle or IPC between a test and the code under test. The price: the
 * functions read `process.env` and create their clients when first imported, so one process runs
 * one stack at a time, and restarts keep every port (the handlers keep their endpoints).
 */
import { DeleteTableCommand, type DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DEFAULT_CONFIG_PATH } from '../adapters/config-file.js';
import { readAllRecords } from '../adapters/kinesis-reader.js';
import { createLocalClients, destroyLocalClients } from './clients.js';
import { LocalStackError } from './errors.js';
import { LocalPipeline } from './local-pipeline.js';
import { captureMetricOutput, MetricsStore } from './metrics-store.js';
import {
  createResources,
  LOCAL_RESOURCE_NAMES,
  type LocalResourceNames,
  type LocalResources,
  prefixedTableNames,
} from './resources.js';
import { cliEnvironment, functionEnvironment, pipelineSummary, planLocalStack } from './stack-plan.js';
import {
  countQueueMessages,
  loadHandlers,
  loadStackConfig,
  setProcessEnv,
  startEmulators,
  Teardown,
} from './stack-steps.js';
import type { LocalEndpoints, LocalQueueName, LocalStack, LocalStackOptions } from './stack-types.js';

export type {
  HandlerWrapper,
  LocalEndpoints,
  LocalQueueName,
  LocalStack,
  LocalStackOptions,
  RuntimeEvent,
} from './stack-types.js';

/** The example config `npm start` and `local up` use by default. */
export const EXAMPLE_CONFIG_PATH = DEFAULT_CONFIG_PATH;

/** Deletes the stack's two tables (a table already gone is fine). */
async function deleteTables(client: DynamoDBClient, names: LocalResourceNames): Promise<void> {
  await Promise.all(
    [names.profileTable, names.stateTable].map((TableName) =>
      client.send(new DeleteTableCommand({ TableName })).catch((error: unknown) => {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }),
    ),
  );
}

/** The stack of this process: the functions keep the endpoints of the first one they were imported with. */
let running: LocalStack | undefined;

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
  const { config, path: configPath, json: configJson } = loadStackConfig(options.config);
  const plan = planLocalStack(options);
  const { timings } = plan;
  const teardown = new Teardown();
  // The handlers' metric output is collected, not printed (local/metrics-store.ts).
  const metrics = new MetricsStore(() => config.destinations.map((d) => d.id));
  teardown.add(captureMetricOutput(metrics));

  try {
    const emulators = await startEmulators(plan, teardown, progress);
    const endpoints: LocalEndpoints = {
      dynamodb: emulators.dynamodb.endpoint,
      kinesis: emulators.kinesis.endpoint,
      sqs: emulators.sqs.endpoint,
    };
    const clients = createLocalClients(endpoints);
    teardown.add(() => destroyLocalClients(clients));
    const resourceClients = {
      dynamodb: clients.dynamodb,
      sqs: clients.sqs,
      kinesisFor: (): KinesisClient => clients.kinesis,
    };

    progress('creating tables, queues and streams…');
    const names =
      plan.sharedDynamoDb === undefined
        ? LOCAL_RESOURCE_NAMES
        : prefixedTableNames(plan.sharedDynamoDb.tablePrefix);
    let resources: LocalResources = await createResources(resourceClients, config, timings, names);
    // A shared DynamoDB Local outlives the stack: its tables go with it (after the mappings stop).
    if (plan.sharedDynamoDb !== undefined) teardown.add(() => deleteTables(clients.dynamodb, names));

    const functionKinesisEndpoint =
      typeof options.functionKinesisEndpoint === 'function'
        ? await options.functionKinesisEndpoint(endpoints.kinesis)
        : (options.functionKinesisEndpoint ?? endpoints.kinesis);
    const functionEnv = functionEnvironment({
      configJson,
      resources,
      timings,
      endpoints,
      functionKinesisEndpoint,
      ...(options.functionEnv !== undefined && { extra: options.functionEnv }),
    });
    setProcessEnv(functionEnv, teardown);

    let pipeline: LocalPipeline | undefined;
    if (plan.pipeline !== undefined) {
      progress('loading the decide and export functions…');
      const handlers = await loadHandlers(options);
      const started = new LocalPipeline(
        {
          plan: plan.pipeline,
          clients,
          timings,
          handlers,
          ...(options.onRuntimeEvent !== undefined && { onRuntimeEvent: options.onRuntimeEvent }),
        },
        resources,
      );
      teardown.add(() => started.stop());
      await started.start();
      pipeline = started;
      progress(pipelineSummary(plan.pipeline, timings));
    }

    const queueUrl = (queue: LocalQueueName): string =>
      ({
        export: resources.exportQueueUrl,
        dlq: resources.deadLetterQueueUrl,
        rejects: resources.rejectsQueueUrl,
        decideFailures: resources.decideFailuresQueueUrl,
      })[queue];
    const queueDepth = (queue: LocalQueueName) => countQueueMessages(clients.sqs, queueUrl(queue));

    let stopped = false;
    const stack: LocalStack = {
      env: cliEnvironment(functionEnv, endpoints, resources, configPath),
      endpoints,
      functionKinesisEndpoint,
      ports: { dynamodb: emulators.dynamodb.port, kinesis: emulators.kinesis.port, sqs: emulators.sqs.port },
      config,
      configPath,
      get resources() {
        return resources;
      },
      resourceNames: names,
      timings,
      clients,
      metrics,
      async readRecords(destinationId) {
        const streamName = resources.streams[destinationId];
        if (streamName === undefined)
          throw new LocalStackError(
            `no destination "${destinationId}" in the config (destinations: ${Object.keys(resources.streams).join(', ')})`,
          );
        return readAllRecords(clients.kinesis, streamName);
      },
      async waitForIdle({ timeoutMs = 30_000 } = {}) {
        await pipeline?.waitForIdle(() => queueDepth('export'), timeoutMs);
      },
      queueDepth,
      async stop() {
        if (stopped) return;
        stopped = true;
        await teardown.run();
        if (running === stack) running = undefined;
      },
      restartSqs: (o) => emulators.sqs.restart(o),
      restartKinesis: (o) => emulators.kinesis.restart(o),
      async restartDynamoDb(o) {
        await emulators.dynamodb.restart(o);
        resources = await createResources(resourceClients, config, timings, names);
        // In-memory DynamoDB Local lost the table: follow the re-created table's stream.
        await pipeline?.followStream(resources);
      },
    };
    running = stack;
    return stack;
  } catch (error) {
    await teardown.run();
    throw error;
  }
}
