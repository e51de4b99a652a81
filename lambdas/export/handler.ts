/**
 * The export function: FIFO export queue → destination Kinesis streams. Wiring only; the work is
 * `exportBatch`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { DestinationClients } from '../../adapters/aws-clients.js';
import { StateTable } from '../../adapters/state-table.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { loadFunctionConfig, readEnvironment } from '../commons/environment.js';
import { createLogger, createMetrics, powertoolsMetricSink } from '../commons/observability.js';
import { type ExportDependencies, exportBatch } from './export-batch.js';

// Cold start: a bad config or environment fails here, loudly, with the engine's message.
const { config } = loadFunctionConfig(process.env.KD_CONFIG_JSON);
const env = readEnvironment({
  STATE_TABLE_NAME: z.string().min(3, 'must name the state table'),
  EXPORT_MAX_RECEIVE_COUNT: z.coerce
    .number()
    .int()
    .min(1)
    .default(PIPELINE_SETTINGS.exportQueue.maxReceiveCount),
});
const logger = createLogger();
const metrics = createMetrics();
const deps: ExportDependencies = {
  destinations: new Map(config.destinations.map((d) => [d.id, d])),
  clients: new DestinationClients(),
  state: new StateTable({ client: new DynamoDBClient({}), tableName: env.STATE_TABLE_NAME }),
  maxReceiveCount: env.EXPORT_MAX_RECEIVE_COUNT,
  metrics: powertoolsMetricSink(metrics),
  logger,
};

/**
 * Time kept back for recording the outcome (ledger, failure log) and answering: the configured
 * reserve, or a quarter of the invocation if less. Running into the timeout would lose the partial
 * batch response, and SQS would hand out again messages that were already put.
 */
function budgetOf(context: Context): () => number {
  const reserve = Math.min(PIPELINE_SETTINGS.putRecords.reserveMs, context.getRemainingTimeInMillis() * 0.25);
  return () => context.getRemainingTimeInMillis() - reserve;
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    exportBatch(event.Records, budgetOf(context), deps),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
