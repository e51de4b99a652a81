import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { type LogSink, logSafely, METRIC, type MetricSink } from '../commons/observability.js';
import { type BackfillResult, runBackfill } from './backfill.js';
import type { BackfillEnvironment } from './environment.js';

/**
 * One invocation of the backfill function (started asynchronously by the deploy-time custom
 * resource with one event per newly mapped segment). It scans until little time is left,
 * checkpoints, and invokes the function again asynchronously with the same event, which continues
 * the checkpointed run; a run that completed does nothing when invoked again (Lambda's async
 * retries are harmless).
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

/** What an invocation needs; the handler builds it once per cold start, tests inject it. */
export interface BackfillInvocationDeps {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly config: CompiledConfig;
  readonly environment: BackfillEnvironment;
  readonly logger: LogSink;
  readonly metrics: MetricSink;
  /** @default RESERVE_MS */
  readonly reserveMs?: number;
}

/**
 * Runs one invocation's share of a backfill and re-invokes the function when the run is not done.
 * @throws ZodError for a malformed event; BackfillError for an unmapped segment; the SDK's error
 *   (Lambda retries the async invocation, which resumes from the checkpoints).
 */
export async function handleBackfill(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'invokedFunctionArn'>,
  deps: BackfillInvocationDeps,
): Promise<BackfillResult> {
  const parsed = backfillEventSchema.parse(event);
  const { destinationId, runId } = parsed;
  const controller = new AbortController();
  const budget = context.getRemainingTimeInMillis() - (deps.reserveMs ?? RESERVE_MS);
  const timer = setTimeout(() => controller.abort(), Math.max(0, budget));
  let result: BackfillResult;
  try {
    result = await runBackfill({
      dynamo: deps.dynamo,
      sqs: deps.sqs,
      profileTableName: deps.environment.profileTableName,
      stateTableName: deps.environment.stateTableName,
      exportQueueUrl: deps.environment.exportQueueUrl,
      config: deps.config,
      destinationId,
      segmentIds: parsed.segmentIds,
      runId,
      mode: 'auto',
      signal: controller.signal,
      onStart: (info) => logSafely(deps.logger, 'info', 'backfill started', { destinationId, ...info }),
    });
  } finally {
    clearTimeout(timer);
  }
  logSafely(deps.logger, 'info', 'backfill invocation finished', { destinationId, ...result });
  deps.metrics.count(METRIC.exportsQueued, result.queuedThisInvocation);
  deps.metrics.countWithDimension(METRIC.exportsQueued, result.queuedThisInvocation, 'Reason', 'backfill');
  if (result.status === 'stopped') {
    // Continue in a fresh invocation; the same event resumes this run from its checkpoints.
    await deps.lambda.send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(parsed)),
      }),
    );
    logSafely(deps.logger, 'info', 'backfill continues in a new invocation', { destinationId, runId });
  }
  return result;
}
