/**
 * The pure half of `startLocalStack()`: from the options and the settings, what to start and with
 * which values — each emulator's port and flag, the scaled timings, the mappings' overrides — and,
 * once the resources exist, the functions' environment and the CLI's. No I/O here: the steps in
 * `stack-steps.ts` and `local-pipeline.ts` carry the plan out.
 */

import {
  CONFIG_PATH_VARIABLE,
  DECIDE_FAILURES_QUEUE_VARIABLE,
  DEPLOYMENT_VARIABLE,
} from '../core/environment-variables.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { backfillEnvironment } from '../lambdas/backfill/environment.js';
import { commonEnvironment, configEnvironment } from '../lambdas/commons/environment.js';
import { decideEnvironment } from '../lambdas/decide/environment.js';
import { exportEnvironment } from '../lambdas/export/environment.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './clients.js';
import type { DynamoDbEmulatorOptions, EmulatorOptions } from './emulators.js';
import { LocalStackError } from './errors.js';
import { type LocalResources, type LocalTimings, localTimings } from './resources.js';
import type { LocalEndpoints, LocalStackOptions } from './stack-types.js';

/** The emulators to start, each with its port (0 or absent: a free one) and its "port in use" flag. */
export interface EmulatorPlan {
  readonly dynamodb: Omit<DynamoDbEmulatorOptions, 'dataDir'>;
  readonly kinesis: EmulatorOptions;
  readonly sqs: EmulatorOptions;
}

/** What {@link planLocalStack} decided. */
export interface LocalStackPlan {
  readonly emulators: EmulatorPlan;
  /** DynamoDB Local keeps its data in a temporary directory (so a restart keeps the tables). */
  readonly persistDynamoDb: boolean;
  /** A running DynamoDB Local this stack uses instead of starting one (its tables carry the prefix). */
  readonly sharedDynamoDb: LocalStackOptions['sharedDynamoDb'];
  readonly timings: LocalTimings;
  /** The mappings to run, with their overrides; `undefined` when the pipeline does not run. */
  readonly pipeline: PipelinePlan | undefined;
}

/** The two event source mappings' overrides (the settings fill in the rest). */
export interface PipelinePlan {
  readonly decideMapping: NonNullable<LocalStackOptions['decideMapping']>;
  readonly exportMapping: NonNullable<LocalStackOptions['exportMapping']>;
}

/** The port options of one emulator: only what the caller set, so the emulator's defaults apply. */
function emulatorOptions(port: number | undefined, portFlag: string | undefined): EmulatorOptions {
  return {
    ...(port !== undefined && { port }),
    ...(portFlag !== undefined && { portFlag }),
  };
}

/**
 * The timings of the stack: the settings scaled by `timeScale`, then the overrides, then the export
 * timeout capped at the visibility timeout — Lambda refuses an SQS mapping whose queue visibility
 * timeout is shorter than the function timeout.
 */
export function stackTimings(timeScale?: number, overrides?: Partial<LocalTimings>): LocalTimings {
  const t = localTimings(timeScale, overrides);
  return { ...t, exportTimeoutMs: Math.min(t.exportTimeoutMs, t.exportVisibilityTimeoutSeconds * 1000) };
}

/**
 * Decides what a local stack starts and runs from its options. Pure.
 * @throws LocalStackError when `sharedDynamoDb` comes with an option that needs the stack's own
 *   DynamoDB Local (`persistDynamoDb`, `ports.dynamodb`), or with a prefix DynamoDB cannot name tables with.
 */
export function planLocalStack(options: LocalStackOptions): LocalStackPlan {
  const { ports = {}, portFlags = {}, sharedDynamoDb } = options;
  if (sharedDynamoDb !== undefined) {
    const conflict = [
      options.persistDynamoDb === true && 'persistDynamoDb',
      ports.dynamodb !== undefined && ports.dynamodb !== 0 && 'ports.dynamodb',
    ].filter((name): name is string => name !== false);
    if (conflict.length > 0)
      throw new LocalStackError(
        `sharedDynamoDb cannot be combined with ${conflict.join(' or ')}: they need the stack's own DynamoDB Local — drop sharedDynamoDb or ${conflict.join(' and ')}`,
      );
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(sharedDynamoDb.tablePrefix))
      throw new LocalStackError(
        `sharedDynamoDb.tablePrefix "${sharedDynamoDb.tablePrefix}" cannot begin a DynamoDB table name: use 1–200 of A–Z, a–z, 0–9, "_", "-" and "."`,
      );
  }
  return {
    emulators: {
      dynamodb: emulatorOptions(ports.dynamodb, portFlags.dynamodb),
      kinesis: emulatorOptions(ports.kinesis, portFlags.kinesis),
      sqs: emulatorOptions(ports.sqs, portFlags.sqs),
    },
    persistDynamoDb: options.persistDynamoDb ?? false,
    sharedDynamoDb,
    timings: stackTimings(options.timeScale, options.timings),
    pipeline:
      (options.runPipeline ?? true)
        ? { decideMapping: options.decideMapping ?? {}, exportMapping: options.exportMapping ?? {} }
        : undefined,
  };
}

/** The values the functions' environment is made of. */
export interface FunctionEnvironmentInput {
  /** The config as JSON (`KD_CONFIG_JSON`). */
  readonly configJson: string;
  readonly resources: LocalResources;
  readonly timings: LocalTimings;
  readonly endpoints: LocalEndpoints;
  /** The Kinesis endpoint the functions use (the emulator's, or a fault proxy's). */
  readonly functionKinesisEndpoint: string;
  /** Extra variables; they win over the stack's. */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The environment the functions run with: the resources, the standard `AWS_ENDPOINT_URL_<SERVICE>`
 * variables aimed at the emulators, the local region and dummy credentials.
 */
export function functionEnvironment(input: FunctionEnvironmentInput): Record<string, string> {
  const { resources, endpoints } = input;
  return {
    // One process runs every function locally: the union of their environments.
    ...configEnvironment(input.configJson),
    ...commonEnvironment(),
    ...decideEnvironment({
      exportQueueUrl: resources.exportQueueUrl,
      rejectsQueueUrl: resources.rejectsQueueUrl,
    }),
    ...exportEnvironment({
      stateTableName: resources.stateTableName,
      exportQueueUrl: resources.exportQueueUrl,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      exportMaxReceiveCount: input.timings.maxReceiveCount,
    }),
    ...backfillEnvironment({
      profileTableName: resources.profileTableName,
      stateTableName: resources.stateTableName,
      exportQueueUrl: resources.exportQueueUrl,
    }),
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_KINESIS: input.functionKinesisEndpoint,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...input.extra,
  };
}

/**
 * The environment of the CLI against the stack (what `local up` prints): the functions' plus the
 * DLQ, the decide-failures queue, the config file and `AWS_DEFAULT_REGION` (for the AWS CLI), with Kinesis aimed straight at
 * the emulator — the CLI never goes through a fault proxy.
 */
export function cliEnvironment(
  functionEnv: Readonly<Record<string, string>>,
  endpoints: LocalEndpoints,
  resources: LocalResources,
  configPath: string | undefined,
): Record<string, string> {
  return {
    ...functionEnv,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    // The AWS CLI (botocore) takes its region from AWS_DEFAULT_REGION, not AWS_REGION.
    AWS_DEFAULT_REGION: LOCAL_REGION,
    [DEPLOYMENT_VARIABLE.dlqUrl]: resources.deadLetterQueueUrl,
    [DECIDE_FAILURES_QUEUE_VARIABLE]: resources.decideFailuresQueueUrl,
    ...(configPath !== undefined && { [CONFIG_PATH_VARIABLE]: configPath }),
  };
}

/** The progress line that says how the mappings run. */
export function pipelineSummary(pipeline: PipelinePlan, timings: LocalTimings): string {
  const decideBatch = pipeline.decideMapping.batchSize ?? PIPELINE_SETTINGS.decide.batchSize;
  const exportBatch = pipeline.exportMapping.batchSize ?? PIPELINE_SETTINGS.export.batchSize;
  const concurrency = pipeline.exportMapping.concurrency ?? PIPELINE_SETTINGS.export.localConcurrency;
  return `pipeline running: decide (batch ${decideBatch}, timeout ${timings.decideTimeoutMs} ms), export (batch ${exportBatch} × ${concurrency} concurrent, timeout ${timings.exportTimeoutMs} ms, visibility ${timings.exportVisibilityTimeoutSeconds} s)`;
}
