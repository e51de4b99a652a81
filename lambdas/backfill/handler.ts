/**
 * The backfill function: one invocation's share of a historical backfill, started by the
 * deploy-time custom resource and continued by itself. Wiring only; the work is `handleBackfill`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { loadFunctionConfig } from '../commons/environment.js';
import { createObservability, instrumentHandler } from '../commons/observability.js';
import type { BackfillResult } from './backfill.js';
import { readBackfillEnvironment } from './environment.js';
import { type BackfillInvocationDeps, handleBackfill } from './invocation.js';

// Cold start: a bad config or environment fails here, loudly, with the engine's message.
const { compiled } = loadFunctionConfig();
const environment = readBackfillEnvironment();
const observability = createObservability();
const deps: BackfillInvocationDeps = {
  dynamo: new DynamoDBClient({}),
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
  config: compiled,
  environment,
  logger: observability.logger,
  metrics: observability.metricSink,
};

export const handler = instrumentHandler(
  async (event: unknown, context: Context): Promise<BackfillResult> => handleBackfill(event, context, deps),
  observability,
);
