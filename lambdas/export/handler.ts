/**
 * The export function: FIFO export queue → destination Kinesis streams. Wiring only; the decisions
 * are core/export-machine.ts, the I/O is `export-loop.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DestinationClients } from '../../adapters/aws-clients.js';
import { ExportQueue } from '../../adapters/export-queue.js';
import { StateTable } from '../../adapters/state-table.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { loadFunctionConfig } from '../commons/environment.js';
import { createObservability, instrumentHandler } from '../commons/observability.js';
import { readExportEnvironment } from './environment.js';
import { type ExportDependencies, type RunningExport, startExport } from './export-loop.js';

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

/**
 * The batches running, by invocation. On Lambda there is one at a time; the local runtime runs
 * several in this process, and Middy's early-timeout answer is for the one nearest its deadline.
 * (Middy shares one AbortController between the invocations of a process, so locally one batch's
 * deadline also aborts the others: each then answers with what it has done, early but safely.)
 */
const running = new Map<Context, RunningExport>();

/**
 * Middy's early-timeout answer: the running batch's own answer at its deadline. With none (cannot
 * happen: the handler registers its batch before its first await), the whole batch fails and is
 * retried rather than answered blind.
 */
function answerAtDeadline(): SQSBatchResponse {
  let nearest: [Context, RunningExport] | undefined;
  for (const entry of running) {
    if (nearest === undefined || entry[0].getRemainingTimeInMillis() < nearest[0].getRemainingTimeInMillis())
      nearest = entry;
  }
  if (nearest === undefined) throw new Error('export function: timed out with no batch running');
  running.delete(nearest[0]);
  return nearest[1].answerNow();
}

export const handler = instrumentHandler<SQSEvent, SQSBatchResponse>(
  async (event, context, { signal }) => {
    const batch = startExport(event.Records, deps, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      signal,
    });
    running.set(context, batch);
    try {
      return await batch.done;
    } finally {
      running.delete(context);
    }
  },
  observability,
  { timeoutEarly: { inMillis: PIPELINE_SETTINGS.export.answerEarlyMs, response: answerAtDeadline } },
);
