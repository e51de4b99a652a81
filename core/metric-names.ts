import type { RejectCode } from './reject-codes.js';

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
    meaning:
      "export: upstream write (the writer's `__kd.at`, else the stream record's ApproximateCreationDateTime) → successful put, first attempts only (a retried or redriven export is not counted: `FunnelRedriven` counts those)",
  },
  funnelEvaluated: {
    name: 'FunnelEvaluated',
    unit: 'Count',
    meaning:
      'decide (funnel, per `destination`): stream records evaluated for the destination; each ends exported, skipped or rejected',
  },
  funnelExportedSegment: {
    name: 'FunnelExportedSegment',
    unit: 'Count',
    meaning:
      'decide (funnel): exports queued whose first reason is a mapped segment entered or left (a deleted member too)',
  },
  funnelExportedIdentity: {
    name: 'FunnelExportedIdentity',
    unit: 'Count',
    meaning: "decide (funnel): exports queued whose first reason is a member's identity map change",
  },
  funnelExportedAttribute: {
    name: 'FunnelExportedAttribute',
    unit: 'Count',
    meaning: "decide (funnel): exports queued whose first reason is a member's mapped attribute written",
  },
  funnelExportedBackfill: {
    name: 'FunnelExportedBackfill',
    unit: 'Count',
    meaning: 'backfill (funnel): exports queued by a historical backfill',
  },
  funnelSkippedNoChange: {
    name: 'FunnelSkippedNoChange',
    unit: 'Count',
    meaning: 'decide (funnel): records that changed nothing the destination maps',
  },
  funnelSkippedNotQualified: {
    name: 'FunnelSkippedNotQualified',
    unit: 'Count',
    meaning: 'decide (funnel): records with a mapped change of a profile in no mapped segment',
  },
  funnelSkippedStale: {
    name: 'FunnelSkippedStale',
    unit: 'Count',
    meaning:
      'export (funnel): exports skipped as superseded or a repeat of a delivered version (core/staleness.ts)',
  },
  funnelRejectedInvalidRecord: {
    name: 'FunnelRejectedInvalidRecord',
    unit: 'Count',
    meaning: 'decide (funnel): records rejected with `INVALID_RECORD` (counted for every destination)',
  },
  funnelRejectedProfileIdTooLong: {
    name: 'FunnelRejectedProfileIdTooLong',
    unit: 'Count',
    meaning: 'decide (funnel): records rejected with `PROFILE_ID_TOO_LONG` (counted for every destination)',
  },
  funnelRejectedPayloadTooLarge: {
    name: 'FunnelRejectedPayloadTooLarge',
    unit: 'Count',
    meaning: 'decide (funnel): exports rejected with `PAYLOAD_TOO_LARGE`',
  },
  funnelRejectedUnknownSegmentStatus: {
    name: 'FunnelRejectedUnknownSegmentStatus',
    unit: 'Count',
    meaning: 'decide (funnel): exports rejected with `UNKNOWN_SEGMENT_STATUS`',
  },
  funnelRejectedExportMessageTooLarge: {
    name: 'FunnelRejectedExportMessageTooLarge',
    unit: 'Count',
    meaning: 'decide (funnel): exports rejected with `EXPORT_MESSAGE_TOO_LARGE`',
  },
  funnelRejectedExportMessageRefused: {
    name: 'FunnelRejectedExportMessageRefused',
    unit: 'Count',
    meaning: 'decide (funnel): exports rejected with `EXPORT_MESSAGE_REFUSED`',
  },
  funnelRejectedUnexpectedError: {
    name: 'FunnelRejectedUnexpectedError',
    unit: 'Count',
    meaning: 'decide (funnel): records rejected with `UNEXPECTED_ERROR` (counted for every destination)',
  },
  funnelDelivered: {
    name: 'FunnelDelivered',
    unit: 'Count',
    meaning: 'export (funnel): exports Kinesis accepted',
  },
  funnelRetried: {
    name: 'FunnelRetried',
    unit: 'Count',
    meaning: 'export (funnel): exports answered as failed, which SQS hands out again',
  },
  funnelDeadLettered: {
    name: 'FunnelDeadLettered',
    unit: 'Count',
    meaning: 'export (funnel): exports moved to the DLQ by the function, or failed on their last receive',
  },
  funnelRedriven: {
    name: 'FunnelRedriven',
    unit: 'Count',
    meaning:
      'export (funnel): exports received back from the DLQ — a first receive carrying the dead-letter attributes, or whose export id its delivery ledger holds as pending',
  },
  funnelLatency: {
    name: 'FunnelLatency',
    unit: 'Milliseconds',
    meaning:
      'export (funnel): as `ExportLatency`, per destination: upstream write → put, first attempts only',
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
  /**
   * The funnel metrics' third dimension: a destination id of the config (bounded: never a profile id).
   * All of one destination's funnel counts of an invocation travel in one EMF document.
   */
  destination: 'destination',
} as const;

/** A dimension name of the pipeline's metrics. */
export type MetricDimensionName = (typeof METRIC_DIMENSION)[keyof typeof METRIC_DIMENSION];

/** The reasons of the funnel's `exported` stage: an export counts once, under its first reason. */
export const FUNNEL_EXPORT_REASONS = ['segment', 'identity', 'attribute', 'backfill'] as const;
export type FunnelExportReason = (typeof FUNNEL_EXPORT_REASONS)[number];

/** The reasons of the funnel's `skipped` stage. */
export const FUNNEL_SKIP_REASONS = ['no-relevant-change', 'not-qualified', 'stale'] as const;
export type FunnelSkipReason = (typeof FUNNEL_SKIP_REASONS)[number];

/**
 * The delivery funnel of one destination (docs/ARCHITECTURE.md, "Metrics"; `kinesis-destination
 * status`; the dashboard's funnel rows): each stage's metric name, by stage and reason. Every reader
 * (the CLI's CloudWatch queries, the local runtime's report, the dashboard) builds on this object.
 */
export const FUNNEL_METRIC = {
  evaluated: METRICS.funnelEvaluated.name,
  exported: {
    segment: METRICS.funnelExportedSegment.name,
    identity: METRICS.funnelExportedIdentity.name,
    attribute: METRICS.funnelExportedAttribute.name,
    backfill: METRICS.funnelExportedBackfill.name,
  },
  skipped: {
    'no-relevant-change': METRICS.funnelSkippedNoChange.name,
    'not-qualified': METRICS.funnelSkippedNotQualified.name,
    stale: METRICS.funnelSkippedStale.name,
  },
  rejected: {
    INVALID_RECORD: METRICS.funnelRejectedInvalidRecord.name,
    PROFILE_ID_TOO_LONG: METRICS.funnelRejectedProfileIdTooLong.name,
    PAYLOAD_TOO_LARGE: METRICS.funnelRejectedPayloadTooLarge.name,
    UNKNOWN_SEGMENT_STATUS: METRICS.funnelRejectedUnknownSegmentStatus.name,
    EXPORT_MESSAGE_TOO_LARGE: METRICS.funnelRejectedExportMessageTooLarge.name,
    EXPORT_MESSAGE_REFUSED: METRICS.funnelRejectedExportMessageRefused.name,
    UNEXPECTED_ERROR: METRICS.funnelRejectedUnexpectedError.name,
  },
  delivered: METRICS.funnelDelivered.name,
  retried: METRICS.funnelRetried.name,
  deadLettered: METRICS.funnelDeadLettered.name,
  redriven: METRICS.funnelRedriven.name,
  latency: METRICS.funnelLatency.name,
} as const satisfies {
  readonly exported: Readonly<Record<FunnelExportReason, CountMetricName>>;
  readonly skipped: Readonly<Record<FunnelSkipReason, CountMetricName>>;
  readonly rejected: Readonly<Record<RejectCode, CountMetricName>>;
  readonly [stage: string]: unknown;
};

/** The funnel's stages that are one count each. */
export const FUNNEL_SINGLE_STAGES = [
  'evaluated',
  'delivered',
  'retried',
  'deadLettered',
  'redriven',
] as const;
export type FunnelSingleStage = (typeof FUNNEL_SINGLE_STAGES)[number];

/** The funnel's stages counted by reason. */
export const FUNNEL_REASON_STAGES = ['exported', 'skipped', 'rejected'] as const;
export type FunnelReasonStage = (typeof FUNNEL_REASON_STAGES)[number];

/** A count metric of the funnel. */
export type FunnelCountName =
  | (typeof FUNNEL_METRIC)[FunnelSingleStage]
  | (typeof FUNNEL_METRIC.exported)[FunnelExportReason]
  | (typeof FUNNEL_METRIC.skipped)[FunnelSkipReason]
  | (typeof FUNNEL_METRIC.rejected)[RejectCode];

/** Where a funnel count metric belongs: its stage and, for a stage by reason, the reason. */
export interface FunnelSlot {
  readonly stage: FunnelSingleStage | FunnelReasonStage;
  readonly reason?: string;
}

/** Every funnel count metric with its stage and reason, in the funnel's order. */
export const FUNNEL_COUNTS: readonly (FunnelSlot & { readonly name: FunnelCountName })[] = [
  { stage: 'evaluated', name: FUNNEL_METRIC.evaluated },
  ...FUNNEL_REASON_STAGES.flatMap((stage) =>
    Object.entries(FUNNEL_METRIC[stage]).map(([reason, name]) => ({
      stage,
      reason,
      name: name as FunnelCountName,
    })),
  ),
  ...(['delivered', 'retried', 'deadLettered', 'redriven'] as const).map((stage) => ({
    stage,
    name: FUNNEL_METRIC[stage],
  })),
];
