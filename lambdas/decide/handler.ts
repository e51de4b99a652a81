/**
 * The decide function: DynamoDB Streams (NEW_AND_OLD_IMAGES) of the profile table → export queue.
 * Wiring only; the work is `decideBatch`.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { loadFunctionConfig } from '../commons/environment.js';
import { createObservability, instrumentHandler } from '../commons/observability.js';
import { type DecideDependencies, decideBatch } from './decide-batch.js';
import { readDecideEnvironment } from './environment.js';

// Cold start: a bad config or environment fails here, loudly, with the engine's message.
const { compiled } = loadFunctionConfig();
const env = readDecideEnvironment();
const observability = createObservability();
const deps: DecideDependencies = {
  compiled,
  sqs: new SQSClient({}),
  exportQueueUrl: env.exportQueueUrl,
  rejectsQueueUrl: env.rejectsQueueUrl,
  metrics: observability.metricSink,
  logger: observability.logger,
};

export const handler = instrumentHandler(
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => decideBatch(event.Records, deps),
  observability,
);
