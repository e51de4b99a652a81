import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { FUNNEL_METRIC, METRIC } from '../../core/metric-names.js';
import { type LogSink, logSafely, type MetricSink } from '../commons/observability.js';
import { type BackfillResult, runBackfill, type ScanRunOptions } from './backfill.js';
import { runDeployBackfill } from './deploy-backfill.js';
import type { BackfillEnvironment } from './environment.js';

/**
 * One invocation of the backfill function. Two events:
 *
 * - a deploy's (`lib/backfill-trigger.ts`): every mapped (destination, segment) pair with its run id;
 *   ONE scan serves the pairs not backfilled yet (`deploy-backfill.ts`). The first invocation sizes
 *   the scan to the table, creates the checkpoint and starts the other workers (each reads its share
 *   of the scan segments, with the same event and its `worker` index);
 * - one destination's segments (`{ destinationId, segmentIds, runId }`, as the CLI runs them).
 *
 * Each invocation scans until little time is left, checkpoints, and invokes the function again
 * asynchronously with its event, which continues the checkpointed run; a run that completed does
 * nothing when invoked again (Lambda's async retries are harmless).
 */

const pairSchema = z.object({
  destinationId: z.string().min(1),
  segmentId: z.string().min(1),
  runId: z.string().min(1),
});

/** A deploy's event: every mapped pair, and (after the first invocation) the worker's index. */
export const deployBackfillEventSchema = z.object({
  runId: z.string().min(1),
  pairs: z.array(pairSchema).min(1),
  worker: z.number().int().min(0).optional(),
});
export type DeployBackfillEvent = z.infer<typeof deployBackfillEventSchema>;

/** One destination's backfill of some of its segments. */
export const destinationBackfillEventSchema = z.object({
  destinationId: z.string().min(1),
  segmentIds: z.array(z.string().min(1)).min(1),
  runId: z.string().min(1),
});

/** The function's event. */
export const backfillEventSchema = z.union([deployBackfillEventSchema, destinationBackfillEventSchema]);
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
  const controller = new AbortController();
  const budget = context.getRemainingTimeInMillis() - (deps.reserveMs ?? RESERVE_MS);
  const timer = setTimeout(() => controller.abort(), Math.max(0, budget));
  const invokeSelf = async (payload: BackfillEvent) =>
    deps.lambda.send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
  const options: ScanRunOptions = {
    dynamo: deps.dynamo,
    sqs: deps.sqs,
    profileTableName: deps.environment.profileTableName,
    stateTableName: deps.environment.stateTableName,
    exportQueueUrl: deps.environment.exportQueueUrl,
    config: deps.config,
    signal: controller.signal,
    onStart: (info) => logSafely(deps.logger, 'info', 'backfill started', info),
  };
  let result: BackfillResult;
  let next: BackfillEvent = parsed;
  try {
    if ('pairs' in parsed) {
      const outcome = await runDeployBackfill(options, parsed, async (checkpoint) => {
        // The first invocation is worker 0 and starts the others on the checkpoint it created.
        for (let worker = 1; worker < (checkpoint.workers ?? 1); worker++)
          await invokeSelf({ ...parsed, worker });
        if ((checkpoint.workers ?? 1) > 1)
          logSafely(deps.logger, 'info', 'backfill workers started', {
            runId: parsed.runId,
            count: checkpoint.workers,
          });
      });
      result = outcome.result;
      next = { ...parsed, worker: parsed.worker ?? 0 };
      // count: the (destination, segment) pairs this scan serves.
      logSafely(deps.logger, 'info', 'backfill pairs', { runId: parsed.runId, count: outcome.pairs.length });
    } else {
      result = await runBackfill({ ...options, ...parsed, mode: 'auto' });
    }
  } finally {
    clearTimeout(timer);
  }
  logSafely(deps.logger, 'info', 'backfill invocation finished', { ...result });
  deps.metrics.count(METRIC.exportsQueued, result.queuedThisInvocation);
  for (const [destinationId, n] of Object.entries(result.queuedByDestination ?? {}))
    deps.metrics.funnel(destinationId, { [FUNNEL_METRIC.exported.backfill]: n });
  if (result.status === 'stopped') {
    // Continue in a fresh invocation; the same event resumes this run (this worker's share) from its checkpoints.
    await invokeSelf(next);
    logSafely(deps.logger, 'info', 'backfill continues in a new invocation', { runId: parsed.runId });
  }
  return result;
}
