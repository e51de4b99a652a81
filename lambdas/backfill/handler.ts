import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { loadFunctionConfig, readEnvironment } from '../commons/environment.js';
import { type BackfillResult, runBackfill } from './backfill.js';

/**
 * The backfill function (started asynchronously by the deploy-time custom resource with one
 * event per newly mapped segment). It scans until little time is left, checkpoints, and invokes
 * itself asynchronously with the same event, which continues the checkpointed run; a run that
 * completed does nothing when invoked again (Lambda's async retries are harmless).
 */

/** The function's event (lib/backfill-trigger.ts `BackfillEvent`). */
export const backfillEventSchema = z.object({
  destinationId: z.string().min(1),
  segmentIds: z.array(z.string().min(1)).min(1),
  runId: z.string().min(1),
});
export type BackfillEvent = z.infer<typeof backfillEventSchema>;

/** Time kept back from the invocation for the pages in flight, their checkpoints and the re-invoke. */
export const RESERVE_MS = 60_000;

/** The variables besides the config (which is inlined into the bundle, see loadFunctionConfig). */
const ENVIRONMENT = {
  PROFILE_TABLE_NAME: z.string().min(1),
  STATE_TABLE_NAME: z.string().min(1),
  EXPORT_QUEUE_URL: z.string().min(1),
};

/** Clients and settings the handler uses; tests pass their own. */
export interface BackfillHandlerDeps {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default RESERVE_MS */
  readonly reserveMs?: number;
}

let defaults: BackfillHandlerDeps | undefined;
let compiled: { json: string; config: CompiledConfig } | undefined;

function defaultDeps(): BackfillHandlerDeps {
  defaults ??= {
    dynamo: new DynamoDBClient({}),
    sqs: new SQSClient({}),
    lambda: new LambdaClient({}),
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'kinesis-destination' }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'KinesisDestination',
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'kinesis-destination',
    }),
  };
  return defaults;
}

function compiledConfig(): CompiledConfig {
  // The literal `process.env.KD_CONFIG_JSON` is replaced by esbuild's define on AWS; keep it literal.
  const json = process.env.KD_CONFIG_JSON ?? '';
  if (compiled?.json !== json) compiled = { json, config: loadFunctionConfig(json).compiled };
  return compiled.config;
}

/** The Lambda entry point. */
export async function handler(event: unknown, context: Context): Promise<BackfillResult> {
  return handleBackfill(event, context, defaultDeps());
}

/**
 * Runs one invocation's share of a backfill and re-invokes the function when the run is not done.
 * @throws ZodError for a malformed event, EnvironmentError / ConfigError for a bad environment or config; BackfillError for an unmapped segment;
 *   the SDK's error (Lambda retries the async invocation, which resumes from the checkpoints).
 */
export async function handleBackfill(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn' | 'awsRequestId'>,
  deps: BackfillHandlerDeps,
): Promise<BackfillResult> {
  const parsed = backfillEventSchema.parse(event);
  const env = readEnvironment(ENVIRONMENT);
  const logger = deps.logger;
  logger.appendKeys({ destinationId: parsed.destinationId, runId: parsed.runId });

  const controller = new AbortController();
  const budget = context.getRemainingTimeInMillis() - (deps.reserveMs ?? RESERVE_MS);
  const timer = setTimeout(() => controller.abort(), Math.max(0, budget));
  let result: BackfillResult;
  try {
    result = await runBackfill({
      dynamo: deps.dynamo,
      sqs: deps.sqs,
      profileTableName: env.PROFILE_TABLE_NAME,
      stateTableName: env.STATE_TABLE_NAME,
      exportQueueUrl: env.EXPORT_QUEUE_URL,
      config: compiledConfig(),
      destinationId: parsed.destinationId,
      segmentIds: parsed.segmentIds,
      runId: parsed.runId,
      mode: 'auto',
      signal: controller.signal,
      onStart: (info) => logger.info('backfill started', { ...info }),
    });
  } finally {
    clearTimeout(timer);
  }
  logger.info('backfill invocation finished', { ...result });
  deps.metrics.addMetric('ExportsQueued', MetricUnit.Count, result.queuedThisInvocation);
  const byReason = deps.metrics.singleMetric();
  byReason.addDimension('Reason', 'backfill');
  byReason.addMetric('ExportsQueued', MetricUnit.Count, result.queuedThisInvocation);
  deps.metrics.publishStoredMetrics();
  if (result.status === 'stopped') {
    // Continue in a fresh invocation; the same event resumes this run from its checkpoints.
    await deps.lambda.send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(parsed)),
      }),
    );
    logger.info('backfill continues in a new invocation');
  }
  return result;
}
