/**
 * The export function: FIFO export queue → destination Kinesis streams. Wiring only; the work is
 * `exportBatch`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DestinationClients } from '../../adapters/aws-clients.js';
import { ExportQueue } from '../../adapters/export-queue.js';
import { StateTable } from '../../adapters/state-table.js';
import { loadFunctionConfig } from '../commons/environment.js';
import { createObservability, instrumentHandler } from '../commons/observability.js';
import { readExportEnvironment } from './environment.js';
import { type ExportDependencies, exportBatch } from './export-batch.js';

// Cold start: a bad config or environment fails here, loudly, with the engine's message.
const { config } = loadFunctionConfig();
const env = readExportEnvironment();
const observability = createObservability();
const deps: ExportDependencies = {
  destinations: new Map(config.destinations.map((d) => [d.id, d])),
  clients: new DestinationClients(),
  state: new StateTable({ client: new DynamoDBClient({}), tableName: env.stateTableName }),
  queue: new ExportQueue({
    client: new SQSClient({}),
    exportQueueUrl: env.exportQueueUrl,
    deadLetterQueueUrl: env.deadLetterQueueUrl,
  }),
  maxReceiveCount: env.exportMaxReceiveCount,
  metrics: observability.metricSink,
  logger: observability.logger,
};

// exportBatch answers with what it has done before the invocation's end, ahead of Middy's guard.
export const handler = instrumentHandler(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    exportBatch(event.Records, () => context.getRemainingTimeInMillis(), deps),
  observability,
);
