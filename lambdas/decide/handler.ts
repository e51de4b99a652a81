/**
 * The decide function: DynamoDB Streams (NEW_AND_OLD_IMAGES) of the profile table → export queue.
 * Wiring only; the work is `decideBatch`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { loadFunctionConfig, readEnvironment } from '../commons/environment.js';
import { createLogger, createMetrics, powertoolsMetricSink } from '../commons/observability.js';
import { decideBatch } from './decide-batch.js';

// Cold start: a bad config or environment fails here, loudly, with the engine's message.
const { compiled } = loadFunctionConfig(process.env.KD_CONFIG_JSON);
const env = readEnvironment({
  EXPORT_QUEUE_URL: z.url('must be the URL of the FIFO export queue'),
  REJECTS_QUEUE_URL: z.url('must be the URL of the rejects queue'),
});
const logger = createLogger();
const metrics = createMetrics();
const deps = {
  compiled,
  sqs: new SQSClient({}),
  exportQueueUrl: env.EXPORT_QUEUE_URL,
  rejectsQueueUrl: env.REJECTS_QUEUE_URL,
  metrics: powertoolsMetricSink(metrics),
  logger,
};

export const handler = middy(
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => decideBatch(event.Records, deps),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
