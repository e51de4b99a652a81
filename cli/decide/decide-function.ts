/**
 * The decide function, run in the CLI's process: the very handler AWS runs — its source in a clone
 * (run with tsx), the package's prebundled `dist/handlers/decide/index.mjs` where it is installed —
 * with the environment the construct gives it (the config, the export and rejects queues of the
 * deployment). A replay therefore decides exactly as the function does, with the same deduplication ids.
 */
import { pathToFileURL } from 'node:url';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { commonEnvironment, configEnvironment } from '../../lambdas/commons/environment.js';
import { decideEnvironment } from '../../lambdas/decide/environment.js';
import { invokeHandler, type LambdaHandler } from '../../local/event-sources/invoke.js';

/** Invokes the decide function with a batch; `batchItemFailures` names the first record not done. */
export type DecideInvoker = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/** The handler module: the source in a clone, the prebundled handler in the package. */
const HANDLER_MODULE = import.meta.url.endsWith('.ts')
  ? '../../lambdas/decide/handler.ts'
  : '../../../handlers/decide/index.mjs';

/** What the function's environment is made of. */
export interface DecideFunctionInput {
  /** The config file's JSON text (validated by the caller). */
  readonly configJson: string;
  readonly exportQueueUrl: string;
  readonly rejectsQueueUrl: string;
}

/**
 * Sets the decide function's environment in this process (it reads it when first imported), imports
 * it and returns an invoker that fails like Lambda (a throw, a timeout) as an error.
 * Metrics are off (EMF on a CLI's stdout reaches no CloudWatch); the function's warnings and errors
 * go to stderr.
 * @throws Error when the handler cannot be imported.
 */
export async function loadDecideFunction(input: DecideFunctionInput): Promise<DecideInvoker> {
  const env = {
    ...configEnvironment(input.configJson),
    ...commonEnvironment(),
    ...decideEnvironment({ exportQueueUrl: input.exportQueueUrl, rejectsQueueUrl: input.rejectsQueueUrl }),
  };
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const url = new URL(HANDLER_MODULE, import.meta.url);
  const module = (await import(pathToFileURL(url.pathname).href)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${url.pathname} does not export a handler`);
  const handler = module.handler as LambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>;
  return async (event) => {
    const outcome = await invokeHandler(handler, event, {
      functionName: 'decide-replay',
      timeoutMs: PIPELINE_SETTINGS.decide.timeoutSeconds * 1000,
    });
    if (!outcome.ok) throw outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
    return outcome.response ?? { batchItemFailures: [] };
  };
}
