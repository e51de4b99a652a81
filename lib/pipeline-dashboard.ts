import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LATENCY_PROMISE_MS } from '../core/funnel.js';
import {
  FUNNEL_COUNTS,
  FUNNEL_METRIC,
  METRIC,
  METRIC_DIMENSION,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_NAME,
} from '../core/metric-names.js';
import { ALARM_THRESHOLDS } from './alarm-thresholds.js';

/** The dimensions of one pipeline's metrics: the service, and the pipeline's name. */
export function pipelineDimensions(pipelineName: string): Record<string, string> {
  return { [METRIC_DIMENSION.service]: SERVICE_NAME, [METRIC_DIMENSION.pipeline]: pipelineName };
}

/**
 * One of a pipeline's metrics (core/metric-names.ts; docs/ARCHITECTURE.md, "Metrics"), with its
 * dimensions: never another pipeline's data.
 */
export function pipelineMetric(
  pipelineName: string,
  name: MetricName,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: pipelineDimensions(pipelineName),
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
    ...props,
  });
}

/** The dimensions of one destination's funnel metrics: the pipeline's, and the destination's id. */
export function funnelDimensions(pipelineName: string, destinationId: string): Record<string, string> {
  return { ...pipelineDimensions(pipelineName), [METRIC_DIMENSION.destination]: destinationId };
}

/**
 * One destination's funnel row: each stage's count over the dashboard's time range as numbers
 * (single-value widgets of the metrics in FUNNEL_COUNTS, each labelled `stage reason`), its latency
 * p50/p95/max (first attempts) against the 10-minute line, and the dead-letter queue's depth.
 */
export function funnelRow(
  pipelineName: string,
  destinationId: string,
  deadLetterQueue: sqs.IQueue | undefined,
): cloudwatch.IWidget[] {
  const metric = (name: string, options: cloudwatch.MetricOptions = {}) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: funnelDimensions(pipelineName, destinationId),
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...options,
    });
  return [
    new cloudwatch.SingleValueWidget({
      title: `Funnel: ${destinationId}`,
      metrics: FUNNEL_COUNTS.map((c) =>
        metric(c.name, { label: c.reason === undefined ? c.stage : `${c.stage} ${c.reason}` }),
      ),
      setPeriodToTimeRange: true,
      width: 12,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `Latency: ${destinationId} (write → Kinesis, first attempts)`,
      left: (
        [
          ['p50', cloudwatch.Stats.p(50)],
          ['p95', cloudwatch.Stats.p(95)],
          ['max', cloudwatch.Stats.MAXIMUM],
        ] as const
      ).map(([label, statistic]) => metric(FUNNEL_METRIC.latency, { label, statistic })),
      leftAnnotations: [{ value: LATENCY_PROMISE_MS, label: 'the page’s promise (10 min)' }],
      width: 8,
      height: 6,
    }),
    ...(deadLetterQueue === undefined
      ? []
      : [
          new cloudwatch.SingleValueWidget({
            title: 'Dead-letter queue depth',
            metrics: [
              deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                label: 'DLQ messages',
                statistic: cloudwatch.Stats.MAXIMUM,
                period: Duration.minutes(1),
              }),
            ],
            width: 4,
            height: 6,
          }),
        ]),
  ];
}

/** What {@link pipelineDashboard} shows. */
export interface PipelineDashboardProps {
  /** Whose metrics it shows. */
  readonly pipelineName: string;
  readonly dashboardName?: string;
  readonly functions: Readonly<Record<'decide' | 'export' | 'backfill', lambda.IFunction>>;
  readonly exportQueue: sqs.IQueue;
  readonly sinks: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** One funnel row each. @default - none */
  readonly destinationIds?: readonly string[];
  /** Its depth beside each funnel row. @default - the sink named `DeadLetterQueue`, if any */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * The CloudWatch dashboard of the flow: counts per stage, latency p50/p95 against the page's
 * 10 minutes, the decider's iterator age, queue depths and the export queue's oldest message,
 * function errors and throttles, one funnel row per destination ({@link funnelRow}), and the status
 * of every alarm.
 */
export function pipelineDashboard(scope: Construct, id: string, props: PipelineDashboardProps) {
  const metric = (name: MetricName, options: cloudwatch.MetricOptions = {}) =>
    pipelineMetric(props.pipelineName, name, options);
  const flow: readonly MetricName[] = [
    METRIC.profilesEvaluated,
    METRIC.exportsQueued,
    METRIC.recordsPut,
    METRIC.recordsThrottled,
    METRIC.recordsDeadLettered,
    METRIC.rejects,
  ];
  const dashboard = new cloudwatch.Dashboard(scope, id, {
    ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
    defaultInterval: Duration.hours(3),
  });
  const queues = [{ name: 'ExportQueue', queue: props.exportQueue }, ...props.sinks];
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `## kinesis-destination: ${props.pipelineName}\nprofile table stream → **decide** → export queue (FIFO) → **export** → Kinesis; failures → DLQ / rejects`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Flow (records per minute)',
      left: flow.map((name) => metric(name, { label: name })),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Export latency (stream record → put)',
      left: [
        metric(METRIC.exportLatency, {
          statistic: cloudwatch.Stats.p(50),
          label: 'p50',
          period: Duration.minutes(5),
        }),
        metric(METRIC.exportLatency, {
          statistic: cloudwatch.Stats.p(95),
          label: 'p95',
          period: Duration.minutes(5),
        }),
      ],
      leftAnnotations: [{ value: ALARM_THRESHOLDS.exportLatencyP95Ms, label: 'p95 target (10 min)' }],
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Decide iterator age (max)',
      left: [
        props.functions.decide.metric('IteratorAge', {
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
      ],
      leftAnnotations: [{ value: ALARM_THRESHOLDS.decideIteratorAgeMs, label: 'alarm' }],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Queue depths (visible messages)',
      left: queues.map(({ name, queue }) =>
        queue.metricApproximateNumberOfMessagesVisible({
          label: name,
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
      ),
      right: [
        props.exportQueue.metricApproximateAgeOfOldestMessage({
          label: 'export queue oldest (s)',
          period: Duration.minutes(1),
        }),
      ],
      rightAnnotations: [
        { value: ALARM_THRESHOLDS.exportQueueOldestMessageSeconds, label: 'oldest-message alarm' },
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Function errors and throttles',
      left: Object.entries(props.functions).flatMap(([name, fn]) => [
        fn.metricErrors({ label: `${name} errors`, period: Duration.minutes(5) }),
        fn.metricThrottles({ label: `${name} throttles`, period: Duration.minutes(5) }),
      ]),
      width: 8,
    }),
  );
  const deadLetterQueue =
    props.deadLetterQueue ?? props.sinks.find((s) => s.name === 'DeadLetterQueue')?.queue;
  for (const destinationId of props.destinationIds ?? [])
    dashboard.addWidgets(...funnelRow(props.pipelineName, destinationId, deadLetterQueue));
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
  );
  return dashboard;
}
