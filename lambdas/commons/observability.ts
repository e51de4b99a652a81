import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import {
  type CountMetricName,
  FUNNEL_METRIC,
  type FunnelCountName,
  METRIC_DIMENSION,
  type MetricDimensionName,
  type MillisecondsMetricName,
  metricUnit,
} from '../../core/metric-names.js';
import { redactCredentials } from '../../core/redaction.js';
import { type CommonEnvironment, readCommonEnvironment } from './environment.js';

/**
 * Logs and metrics of the functions (docs/ARCHITECTURE.md, "Metrics").
 *
 * Profiles are personal data. Log lines go through {@link logSafely}, which copies only the
 * identifiers listed in {@link SafeLogFields} (stream event id, destination, profile id, export id,
 * counts and error codes); a document, an attribute value or an identity has no field to travel in.
 */

export { METRIC, type MetricName } from '../../core/metric-names.js';

/** Where the functions put their metrics; tests pass a recorder, the handlers {@link powertoolsMetricSink}. */
export interface MetricSink {
  /** A count. */
  count(name: CountMetricName, value: number): void;
  /** A count with one extra dimension, emitted as its own EMF document (e.g. `Reason`). */
  countWithDimension(
    name: CountMetricName,
    value: number,
    dimension: MetricDimensionName,
    dimensionValue: string,
  ): void;
  /** One latency observation in milliseconds. */
  milliseconds(name: MillisecondsMetricName, value: number): void;
  /**
   * One destination's funnel counts (and latency observations, `FunnelLatency`) of this invocation,
   * emitted at once as one EMF document with the `destination` dimension: one document per
   * destination per invocation, whatever the number of exports.
   */
  funnel(destinationId: string, counts: FunnelCounts, latencies?: readonly number[]): void;
}

/** Funnel counts by metric name; zero or absent counts are not emitted. */
export type FunnelCounts = Readonly<Partial<Record<FunnelCountName, number>>>;

/** A function's Powertools logger and metrics, and the {@link MetricSink} its work counts into. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly metricSink: MetricSink;
}

/**
 * The one Powertools setup of the functions: a logger and metrics named by `POWERTOOLS_SERVICE_NAME`
 * and `POWERTOOLS_METRICS_NAMESPACE` (defaults `kinesis-destination`, `KinesisDestination`); with
 * `KD_PIPELINE_NAME`, every metric (single metrics too) also carries the `pipeline` dimension, which
 * the construct's alarms and dashboard filter on.
 */
export function createObservability(env: CommonEnvironment = readCommonEnvironment()): Observability {
  const logger = new Logger({ serviceName: env.serviceName });
  const metrics = new Metrics({
    namespace: env.metricsNamespace,
    serviceName: env.serviceName,
    ...(env.pipelineName === undefined
      ? {}
      : { defaultDimensions: { [METRIC_DIMENSION.pipeline]: env.pipelineName } }),
  });
  const funnelMetrics = (destinationId: string) =>
    new Metrics({
      namespace: env.metricsNamespace,
      serviceName: env.serviceName,
      defaultDimensions: {
        ...(env.pipelineName === undefined ? {} : { [METRIC_DIMENSION.pipeline]: env.pipelineName }),
        [METRIC_DIMENSION.destination]: destinationId,
      },
    });
  return { logger, metrics, metricSink: powertoolsMetricSink(metrics, funnelMetrics) };
}

/** Options of {@link instrumentHandler}. */
export interface InstrumentOptions<R> {
  /** @default true; false for a function that emits no metrics */
  readonly metrics?: boolean;
  /**
   * Middy's early timeout: `inMillis` before Lambda's timeout, Middy aborts the signal it hands the
   * handler (third argument, `{ signal }`) and answers with `response(context)` — `context` being the
   * Lambda context of the invocation that reached its deadline — instead of waiting. The metrics
   * middleware still runs after it.
   * @default - Middy's own: 5 ms before the timeout, the invocation fails with a TimeoutError
   */
  readonly timeoutEarly?: {
    readonly inMillis: number;
    readonly response: (context: Context) => R;
  };
}

/**
 * The invocation a Middy timer belongs to. Middy's `timeoutEarlyResponse` takes no argument; its timer
 * is set inside the request, so it runs in the request's async context, which `requestStart` (called
 * with the request, `@middy/core` 6) enters. Lambda runs one invocation per process, but the local
 * runtime runs several at once, possibly with the same deadline.
 */
const invocation = new AsyncLocalStorage<Context>();

/**
 * The middy chain of every function: the Lambda context in each log line and, unless `metrics` is
 * false (a function that emits none), the metrics flushed after each invocation; with `timeoutEarly`,
 * the function's own answer at its deadline.
 */
export function instrumentHandler<E, R>(
  handler: (event: E, context: Context, options: { readonly signal: AbortSignal }) => Promise<R>,
  observability: Observability,
  options: InstrumentOptions<R> = {},
): MiddyfiedHandler<E, R> {
  const early = options.timeoutEarly;
  const chain = middy<E, R>(
    handler,
    early === undefined
      ? undefined
      : {
          timeoutEarlyInMillis: early.inMillis,
          timeoutEarlyResponse: () => {
            const context = invocation.getStore();
            if (context === undefined) throw new Error('timeoutEarly: the invocation is not known');
            return early.response(context);
          },
          // Typed without its argument in @middy/core's declarations; index.js passes the request.
          requestStart: ((request: { context: Context }) =>
            invocation.enterWith(request.context)) as () => void,
        },
  ).use(injectLambdaContext(observability.logger));
  return options.metrics === false ? chain : chain.use(logMetrics(observability.metrics));
}

/**
 * A {@link MetricSink} over Powertools Metrics; flushed by the `logMetrics` middleware, except the
 * funnel's documents, published when counted: each by a Metrics instance of its destination's
 * (`funnelMetrics`, made once per destination and kept for the life of the sandbox).
 */
export function powertoolsMetricSink(
  metrics: Metrics,
  // Namespace and service from Powertools' own variables (tests); createObservability passes its own.
  funnelMetrics: (destinationId: string) => Metrics = (destinationId) =>
    new Metrics({ defaultDimensions: { [METRIC_DIMENSION.destination]: destinationId } }),
): MetricSink {
  const byDestination = new Map<string, Metrics>();
  return {
    count: (name, value) => {
      if (value > 0) metrics.addMetric(name, metricUnit(name), value);
    },
    countWithDimension: (name, value, dimension, dimensionValue) => {
      if (value <= 0) return;
      const single = metrics.singleMetric();
      single.addDimension(dimension, dimensionValue);
      single.addMetric(name, metricUnit(name), value);
    },
    milliseconds: (name, value) => metrics.addMetric(name, metricUnit(name), Math.max(0, value)),
    funnel: (destinationId, counts, latencies = []) => {
      const entries = Object.entries(counts).filter(([, n]) => n !== undefined && n > 0) as [
        FunnelCountName,
        number,
      ][];
      if (entries.length === 0 && latencies.length === 0) return;
      let target = byDestination.get(destinationId);
      if (target === undefined) {
        target = funnelMetrics(destinationId);
        byDestination.set(destinationId, target);
      }
      for (const [name, n] of entries) target.addMetric(name, metricUnit(name), n);
      for (const ms of latencies)
        target.addMetric(FUNNEL_LATENCY, metricUnit(FUNNEL_LATENCY), Math.max(0, ms));
      target.publishStoredMetrics();
    },
  };
}

const FUNNEL_LATENCY = FUNNEL_METRIC.latency;

/**
 * The only fields a log line may carry: identifiers, counts and error codes. Never a payload, an
 * attribute value or an identity. Declared once: {@link SafeLogFields} and the keys
 * {@link logSafely} copies both come from this schema.
 */
export const SAFE_LOG_FIELDS = z
  .object({
    /** The DynamoDB Streams eventID. */
    eventId: z.string(),
    sequenceNumber: z.string(),
    destinationId: z.string(),
    profileId: z.string(),
    exportId: z.string(),
    /** The SQS message id. */
    messageId: z.string(),
    profileVersion: z.number(),
    /** The version the delivery ledger holds. */
    deliveredVersion: z.number(),
    /** A stable code: a reject code, an AWS error name, a Kinesis entry error code. */
    code: z.string(),
    reasonCodes: z.array(z.string()).readonly(),
    attempts: z.number(),
    receiveCount: z.number(),
    count: z.number(),
    records: z.number(),
    failed: z.number(),
    queued: z.number(),
    rejected: z.number(),
    delivered: z.number(),
    superseded: z.number(),
    /** A backfill run's id. */
    runId: z.string(),
    /** A stable status word, e.g. a backfill's `completed` / `stopped`. */
    status: z.string(),
    resumed: z.boolean(),
    scanned: z.number(),
    queuedThisInvocation: z.number(),
    invalid: z.number(),
    tooLarge: z.number(),
    refused: z.number(),
    totalItems: z.number(),
    readUnitsPerSecond: z.number(),
    /** The name of a caught error. */
    errorName: z.string(),
    /** The message of an AWS service error (see {@link errorFields}); never of a validation error. */
    errorMessage: z.string(),
  })
  .partial();

/** The fields a log line may carry (see {@link SAFE_LOG_FIELDS}). */
export type SafeLogFields = Readonly<z.input<typeof SAFE_LOG_FIELDS>>;

/** The allowlist's keys, in declaration order. */
export const SAFE_LOG_KEYS = Object.keys(SAFE_LOG_FIELDS.shape) as readonly (keyof SafeLogFields)[];

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The subset of the Powertools Logger that {@link logSafely} uses. */
export type LogSink = Pick<Logger, LogLevel>;

/**
 * Logs `message` (a constant sentence written in this code base) with the allowed fields only.
 * Fields outside {@link SafeLogFields} are dropped even when a caller widens the type.
 */
export function logSafely(
  logger: LogSink,
  level: LogLevel,
  message: string,
  fields: SafeLogFields = {},
): void {
  const extra: Record<string, unknown> = {};
  for (const key of SAFE_LOG_KEYS) {
    const value = fields[key];
    if (value !== undefined) extra[key] = value;
  }
  logger[level](message, extra);
}

const MAX_ERROR_MESSAGE = 500;

/**
 * Log fields of a caught error: its name, and its message only when it is an AWS service error
 * (those describe the request, not the data), with access key ids and session tokens taken out
 * (core/redaction.ts: a signature error can quote the signed headers). A validation or parse error
 * may quote input values, so its message is never logged.
 */
export function errorFields(error: unknown): Pick<SafeLogFields, 'errorName' | 'errorMessage'> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const isServiceError = typeof (error as { $metadata?: unknown }).$metadata === 'object';
  return isServiceError
    ? { errorName: error.name, errorMessage: redactCredentials(error.message).slice(0, MAX_ERROR_MESSAGE) }
    : { errorName: error.name };
}
