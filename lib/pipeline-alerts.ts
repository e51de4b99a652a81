import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/commons/environment.js';

/** Alarm thresholds (infrastructure only; the local stack has no alarms). */
export const ALARM_THRESHOLDS = {
  /** Half the source page's 10-minute p95 delivery latency: the decider falling behind. */
  decideIteratorAgeMs: 5 * 60 * 1000,
  /** The source page: 95% of exports delivered within 10 minutes. */
  exportLatencyP95Ms: 10 * 60 * 1000,
  /** Share of PutRecords entries throttled by Kinesis, in percent, over five minutes. */
  throttledRecordPercent: 5,
} as const;

const NAMESPACE = METRICS_NAMESPACE;
const DIMENSIONS = { service: SERVICE_NAME };

/** A pipeline metric (docs/ARCHITECTURE.md, "Metrics"). */
export function pipelineMetric(name: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: NAMESPACE,
    metricName: name,
    dimensionsMap: DIMENSIONS,
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
    ...props,
  });
}

export interface PipelineAlertsProps {
  /** Encrypts the alert topic it creates; its key policy must let CloudWatch use it. */
  readonly key: kms.IKey;
  /**
   * Send the alarms to this topic instead (its key policy, if encrypted, must let CloudWatch use it).
   * @default - a new topic encrypted with `key`, TLS only
   */
  readonly topic?: sns.ITopic;
  readonly emails: readonly string[];
  readonly functions: {
    readonly decide: lambda.IFunction;
    readonly export: lambda.IFunction;
    readonly backfill: lambda.IFunction;
  };
  readonly exportQueue: sqs.IQueue;
  /** Queues that should stay empty: one alarm each on any visible message. */
  readonly sinks: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly dashboardName?: string;
}

/**
 * The source page's "enable alerts": an SNS topic with e-mail subscriptions, alarms on every way
 * the pipeline can fall behind or lose work, and a dashboard that shows the flow.
 */
export class PipelineAlerts extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineAlertsProps) {
    super(scope, id);
    this.topic =
      props.topic ??
      new sns.Topic(this, 'Topic', {
        displayName: 'kinesis-destination alerts',
        masterKey: props.key,
        enforceSSL: true,
      });
    for (const email of props.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    for (const sink of props.sinks) {
      this.alarm(`${sink.name}NotEmpty`, {
        metric: sink.queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        description: `${sink.name} holds messages: exports or records need attention (npm run cli -- dlq list)`,
      });
    }

    this.alarm('DecideIteratorAge', {
      metric: props.functions.decide.metric('IteratorAge', {
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: ALARM_THRESHOLDS.decideIteratorAgeMs,
      description: 'The decide function is more than 5 minutes behind the profile table stream',
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      const title = name.charAt(0).toUpperCase() + name.slice(1);
      this.alarm(`${title}Errors`, {
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        description: `The ${name} function failed invocations`,
      });
      this.alarm(`${title}Throttles`, {
        metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        description: `The ${name} function was throttled by Lambda`,
      });
    }

    const fiveMinutes = { period: Duration.minutes(5) };
    this.alarm('ThrottledRecordRate', {
      metric: new cloudwatch.MathExpression({
        label: 'throttled records %',
        expression: 'IF(put + throttled > 0, 100 * throttled / (put + throttled), 0)',
        usingMetrics: {
          put: pipelineMetric('RecordsPut', fiveMinutes),
          throttled: pipelineMetric('RecordsThrottled', fiveMinutes),
        },
        period: Duration.minutes(5),
      }),
      threshold: ALARM_THRESHOLDS.throttledRecordPercent,
      description: 'Kinesis throttles more than 5% of the records put: add shards or use on-demand mode',
    });

    this.alarm('ExportLatencyP95', {
      metric: pipelineMetric('ExportLatency', {
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.p(95),
      }),
      threshold: ALARM_THRESHOLDS.exportLatencyP95Ms,
      description: "p95 export latency is above the source page's 10 minutes",
    });

    this.dashboard = this.buildDashboard(props);
  }

  private alarm(
    id: string,
    props: { metric: cloudwatch.IMetric; threshold: number; description: string },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // Every metric here is emitted only when there is work; no data means nothing is wrong.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  private buildDashboard(props: PipelineAlertsProps): cloudwatch.Dashboard {
    const flow = [
      'ProfilesEvaluated',
      'ExportsQueued',
      'RecordsPut',
      'RecordsThrottled',
      'RecordsDeadLettered',
      'Rejects',
    ];
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    const queues = [{ name: 'ExportQueue', queue: props.exportQueue }, ...props.sinks];
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## kinesis-destination\nprofile table stream → **decide** → export queue (FIFO) → **export** → Kinesis; failures → DLQ / rejects',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Flow (records per minute)',
        left: flow.map((name) => pipelineMetric(name, { label: name })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Export latency (stream record → put)',
        left: [
          pipelineMetric('ExportLatency', {
            statistic: cloudwatch.Stats.p(50),
            label: 'p50',
            period: Duration.minutes(5),
          }),
          pipelineMetric('ExportLatency', {
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
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
    return dashboard;
  }
}
