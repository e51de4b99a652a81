/**
 * The pipeline's own CloudWatch metrics, declared once (docs/ARCHITECTURE.md, "Metrics", is rendered
 * from this module and tested against it): the functions emit them (lambdas/commons/observability.ts),
 * the dashboard and the alarms read them (lib/pipeline-dashboard.ts, lib/pipeline-alerts.ts), the
 * benchmarks count them. Pure: every layer may import it.
 */

/** `POWERTOOLS_SERVICE_NAME` of every function, and the value of the metrics' `service` dimension. */
export const SERVICE_NAME = 'kinesis-destination';

/** `POWERTOOLS_METRICS_NAMESPACE` of every function: the CloudWatch namespace of the metrics. */
export const METRICS_NAMESPACE = 'KinesisDestination';

/** The units the pipeline's metrics use (CloudWatch's and Powertools' names for them). */
export type MetricUnitName = 'Count' | 'Milliseconds';

/** One metric: its CloudWatch name, unit, and what it counts (the docs' "emitted by" column). */
export interface MetricSpec {
  readonly name: string;
  readonly unit: MetricUnitName;
  readonly meaning: string;
}

/**
 * Every metric the functions emit, by the key code refers to it with. Adding a metric is adding one
 * entry here: its name becomes a {@link MetricName}, the sink accepts it for its unit, and the docs
 * test asks for its row in docs/ARCHITECTURE.md.
 */
export const METRICS = {
  profilesEvaluated: {
    name: 'ProfilesEvaluated',
    unit: 'Count',
    meaning: 'decide: stream records evaluated',
  },
  exportsQueued: {
    name: 'ExportsQueued',
    unit: 'Count',
    meaning: 'decide/backfill: messages queued (also per `Reason` dimension as a single metric)',
  },
  rejects: { name: 'Rejects', unit: 'Count', meaning: 'decide: records sent to the rejects queue' },
  recordsPut: { name: 'RecordsPut', unit: 'Count', meaning: 'export: records accepted by Kinesis' },
  recordsThrottled: {
    name: 'RecordsThrottled',
    unit: 'Count',
    meaning: 'export: entries failed with ProvisionedThroughputExceededException / KMSThrottlingException',
  },
  recordsFailed: {
    name: 'RecordsFailed',
    unit: 'Count',
    meaning: 'export: messages that failed (reported as batch item failures, or moved to the DLQ)',
  },
  recordsDeadLettered: {
    name: 'RecordsDeadLettered',
    unit: 'Count',
    meaning:
      'export: exports dead-lettered — moved to the DLQ by the function after their third real attempt (or at once when retrying cannot help), or failing on the backstop receive (maxReceiveCount) and left to the redrive policy',
  },
  exportsSuperseded: {
    name: 'ExportsSuperseded',
    unit: 'Count',
    meaning:
      'export: exports skipped — a later export of the profile was delivered since they failed (a redrive), a repeat of a tracked profile, or a stale backfill export',
  },
  exportLatency: {
    name: 'ExportLatency',
    unit: 'Milliseconds',
    meaning: 'export: stream record ApproximateCreationDateTime → successful put',
  },
} as const satisfies Readonly<Record<string, MetricSpec>>;

/** The key of a metric in {@link METRICS}. */
export type MetricKey = keyof typeof METRICS;

/** A metric's CloudWatch name: only the names declared in {@link METRICS}. */
export type MetricName = (typeof METRICS)[MetricKey]['name'];

/** The names of the metrics of one unit. */
export type MetricNameOfUnit<U extends MetricUnitName> = {
  [K in MetricKey]: (typeof METRICS)[K]['unit'] extends U ? (typeof METRICS)[K]['name'] : never;
}[MetricKey];

/** A metric counted in `Count`. */
export type CountMetricName = MetricNameOfUnit<'Count'>;

/** A metric observed in `Milliseconds`. */
export type MillisecondsMetricName = MetricNameOfUnit<'Milliseconds'>;

const keys = Object.keys(METRICS) as MetricKey[];

/** Each metric's name by its key: `METRIC.recordsPut` is `'RecordsPut'`. */
export const METRIC: { readonly [K in MetricKey]: (typeof METRICS)[K]['name'] } = Object.freeze(
  Object.fromEntries(keys.map((k) => [k, METRICS[k].name])) as {
    readonly [K in MetricKey]: (typeof METRICS)[K]['name'];
  },
);

/** Every metric name, in declaration order. */
export const METRIC_NAMES: readonly MetricName[] = keys.map((k) => METRICS[k].name);

const UNITS = new Map<string, MetricUnitName>(keys.map((k) => [METRICS[k].name, METRICS[k].unit]));

/** The declared unit of a metric. */
export function metricUnit(name: MetricName): MetricUnitName {
  // Every MetricName is a key of UNITS: both come from METRICS.
  return UNITS.get(name) as MetricUnitName;
}

/**
 * The dimensions the metrics carry, by key: `service` and `pipeline` on all, `Reason` on a second
 * ExportsQueued.
 */
export const METRIC_DIMENSION = {
  /** Every metric's dimension (Powertools' `serviceName`): {@link SERVICE_NAME}. */
  service: 'service',
  /**
   * Every deployed metric's second dimension: the pipeline's name (the construct's `pipelineName`),
   * so two pipelines in one account and region never share a metric, an alarm or a dashboard graph.
   * The functions add it from `KD_PIPELINE_NAME`; without it (the local stack) they emit `service` alone.
   */
  pipeline: 'pipeline',
  /** The reason an export was queued (`segment-membership`, `backfill`, …), on a single metric. */
  reason: 'Reason',
} as const;

/** A dimension name of the pipeline's metrics. */
export type MetricDimensionName = (typeof METRIC_DIMENSION)[keyof typeof METRIC_DIMENSION];
