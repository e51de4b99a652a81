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

/** A batch running, and the deadline its calls are aborted at. */
interface Running {
  readonly batch: RunningExport;
  readonly deadline: AbortController;
}

/** The batches running, by invocation (the local runtime runs several in this process). */
const running = new Map<Context, Running>();

const { answerEarlyMs } = PIPELINE_SETTINGS.export;

/**
 * Middy's early-timeout answer for the invocation at its deadline: its batch's own answer (its call in
 * flight aborted). With none (cannot happen: the handler registers its batch before its first await),
 * the whole batch fails and is retried rather than answered blind.
 */
function answerAtDeadline(context: Context): SQSBatchResponse {
  const run = running.get(context);
  if (run === undefined) throw new Error('export function: timed out with no batch running');
  running.delete(context);
  const answer = run.batch.answerNow();
  run.deadline.abort();
  return answer;
}

export const handler = instrumentHandler<SQSEvent, SQSBatchResponse>(
  async (event, context, { signal }) => {
    // Middy aborts one signal shared by every invocation of the process (the local runtime runs
    // several at once): it is this invocation's deadline only when this invocation is at it.
    const deadline = new AbortController();
    const onAbort = () => {
      if (context.getRemainingTimeInMillis() <= answerEarlyMs + 100) deadline.abort();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const batch = startExport(event.Records, deps, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      signal: deadline.signal,
    });
    running.set(context, { batch, deadline });
    try {
      return await batch.done;
    } finally {
      signal.removeEventListener('abort', onAbort);
      running.delete(context);
    }
  },
  observability,
  { timeoutEarly: { inMillis: answerEarlyMs, response: answerAtDeadline } },
);
