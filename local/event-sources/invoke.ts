/**
 * Invokes a Lambda-style handler in this process, the way the Lambda service would: a context whose
 * `getRemainingTimeInMillis()` counts down the (scaled) timeout, and a timeout that turns a slow
 * invocation into a failed one. A handler that throws or rejects is a failed invocation; it never
 * takes the runtime down.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda handler as this project writes them: async, `(event, context) => response`. */
// biome-ignore lint/suspicious/noExplicitAny: handlers of any event and response type are invoked here.
export type LambdaHandler<E = any, R = any> = (event: E, context: Context) => Promise<R> | R;

/** The invocation a piece of code runs in: what the local runtime's output capture attributes to. */
export interface InvocationScope {
  readonly functionName: string;
  readonly requestId: string;
}

/**
 * The invocation running in the current async context (undefined outside any): the local runtime's
 * metrics capture (local/metrics-store.ts) reads it to tell a function's output from the runtime's,
 * and which function printed it, though several invocations run at once in this one process.
 */
export const invocationScope = new AsyncLocalStorage<InvocationScope>();

/** Outcome of one invocation. */
export type InvocationOutcome<R> =
  | { readonly ok: true; readonly response: R; readonly durationMs: number }
  | {
      readonly ok: false;
      /** `Unhandled` (thrown or rejected) or `TimedOut`. */
      readonly kind: 'Unhandled' | 'TimedOut';
      readonly error: unknown;
      readonly durationMs: number;
    };

/** Options of {@link invokeHandler}. */
export interface InvokeOptions {
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly memoryMb?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
}

/** Raised into the outcome when an invocation outlives its timeout (the handler keeps running). */
export class InvocationTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`${functionName}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'InvocationTimeoutError';
  }
}

/** A Lambda context for one invocation with a deadline `timeoutMs` from now. */
export function createLambdaContext(options: InvokeOptions, deadline: number): Context {
  const region = options.region ?? 'us-east-1';
  const unsupported = () => {
    throw new Error('callback-style context.done/fail/succeed is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Invokes `handler` with `event` and a fresh context. Never throws.
 *
 * A timed-out handler cannot be stopped in-process; its promise is left to settle on its own (its
 * late result is ignored), like a frozen Lambda sandbox whose work is discarded.
 */
export async function invokeHandler<E, R>(
  handler: LambdaHandler<E, R>,
  event: E,
  options: InvokeOptions,
): Promise<InvocationOutcome<R>> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const context = createLambdaContext(options, deadline);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  try {
    const scope = { functionName: options.functionName, requestId: context.awsRequestId };
    const running = invocationScope.run(scope, () => Promise.resolve().then(() => handler(event, context)));
    // Keep a late rejection of a timed-out handler from becoming an unhandled rejection.
    running.catch(() => undefined);
    const result = await Promise.race([running, timedOut]);
    if (result === 'timeout') {
      return {
        ok: false,
        kind: 'TimedOut',
        error: new InvocationTimeoutError(options.functionName, options.timeoutMs),
        durationMs: Date.now() - started,
      };
    }
    return { ok: true, response: result as R, durationMs: Date.now() - started };
  } catch (error) {
    return { ok: false, kind: 'Unhandled', error, durationMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** `Name: message` of an error, for logs and failure descriptions (never the whole object). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
