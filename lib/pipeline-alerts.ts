import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '../core/metric-names.js';
import { ALARM_THRESHOLDS } from './alarm-thresholds.js';
import { allowAlarmPublishing } from './alarm-topic.js';
import { pipelineDashboard, pipelineMetric } from './pipeline-dashboard.js';

export { ALARM_THRESHOLDS } from './alarm-thresholds.js';
export { pipelineMetric } from './pipeline-dashboard.js';

/** A queue that should stay empty: anything in it needs a human. */
export interface SinkQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
  /** The queue's message retention: its oldest message raises an alarm well before it ends. */
  readonly retentionSeconds: number;
}

export interface PipelineAlertsProps {
  /** Whose metrics the alarms watch (their `pipeline` dimension). */
  readonly pipelineName: string;
  /** Encrypts the alert topic it creates; its key policy must let CloudWatch use it (the pipeline key). */
  readonly key: kms.IKey;
  /**
   * Send the alarms to this topic instead: CloudWatch alarms of the account must be able to publish
   * to it, and to use its key if it is encrypted (lib/alarm-topic.ts adds both where it can).
   * @default - a new topic encrypted with `key`, TLS only, that CloudWatch alarms may publish to
   */
  readonly topic?: sns.ITopic;
  readonly emails: readonly string[];
  readonly functions: {
    readonly decide: lambda.IFunction;
    readonly export: lambda.IFunction;
    readonly backfill: lambda.IFunction;
  };
  readonly exportQueue: sqs.IQueue;
  /** Queues that should stay empty: one alarm each on any visible message, one before expiry. */
  readonly sinks: readonly SinkQueue[];
  /** The state table (delivery ledger): alarmed when DynamoDB throttles its requests. */
  readonly stateTable: dynamodb.ITable;
  readonly dashboardName?: string;
  /** The config's destinations: one funnel row each on the dashboard. @default - none */
  readonly destinationIds?: readonly string[];
}

/**
 * What an alarm does when its metric has no data point. Chosen per alarm (never one default for
 * all): SQS stops publishing a queue's metrics after six hours without an API call on it, Lambda
 * publishes a function's metrics only for invocations, and the pipeline's own metrics only when
 * there are exports — so a missing point can mean "nothing happened" or "nothing is running".
 */
const MISSING = {
  /**
   * A count of events (errors, throttles, failed deliveries): a period without data is a period
   * without such an event, so the alarm returns to OK.
   */
  noEventsIsOk: cloudwatch.TreatMissingData.NOT_BREACHING,
  /**
   * A state (messages waiting, an age, a lag): missing data keeps the last state. A sink queue with
   * no API call for six hours stops reporting but still holds its messages; an exporter or decider
   * that stops while behind stops reporting its lag. Treating that as OK would clear the alarm while
   * the problem remains; an alarm that never had data stays INSUFFICIENT_DATA (no notification).
   */
  keepLastState: cloudwatch.TreatMissingData.IGNORE,
} as const;

interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

const minutes = (n: number) => Duration.minutes(n);

/**
 * The source page's "enable alerts": an SNS topic with e-mail subscriptions, alarms on every way
 * the pipeline can fall behind or lose work (docs/RUNBOOK.md, one section each), and a dashboard
 * that shows the flow.
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
    allowAlarmPublishing(this.topic, props.key);
    for (const email of props.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    this.sinkAlarms(props.sinks);
    this.lagAlarms(props);
    this.functionAlarms(props);

    this.alarm('ThrottledRecordRate', {
      metric: new cloudwatch.MathExpression({
        label: 'throttled records %',
        expression: 'IF(put + throttled > 0, 100 * throttled / (put + throttled), 0)',
        usingMetrics: {
          put: pipelineMetric(props.pipelineName, METRIC.recordsPut, { period: minutes(5) }),
          throttled: pipelineMetric(props.pipelineName, METRIC.recordsThrottled, { period: minutes(5) }),
        },
        period: minutes(5),
      }),
      threshold: ALARM_THRESHOLDS.throttledRecordPercent,
      description: 'Kinesis throttles more than 5% of the records put: add shards or use on-demand mode',
      // No puts, no throttling; a stalled exporter raises ExportQueueOldestMessage instead.
      treatMissingData: MISSING.noEventsIsOk,
    });

    this.alarm('StateTableThrottles', {
      metric: props.stateTable.metricThrottledRequestsForOperations({
        operations: [
          dynamodb.Operation.BATCH_GET_ITEM,
          dynamodb.Operation.BATCH_WRITE_ITEM,
          dynamodb.Operation.GET_ITEM,
          dynamodb.Operation.PUT_ITEM,
          dynamodb.Operation.UPDATE_ITEM,
        ],
        period: minutes(5),
      }),
      threshold: 0,
      description:
        'DynamoDB throttled requests to the state table (delivery ledger, failure log, checkpoints): exports slow down and may be dead-lettered',
      treatMissingData: MISSING.noEventsIsOk,
    });

    this.dashboard = pipelineDashboard(this, 'Dashboard', {
      pipelineName: props.pipelineName,
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      functions: props.functions,
      exportQueue: props.exportQueue,
      sinks: props.sinks,
      alarms: this.alarms,
      ...(props.destinationIds === undefined ? {} : { destinationIds: props.destinationIds }),
    });
  }

  /** Per sink: any visible message, and the oldest one before its retention ends. */
  private sinkAlarms(sinks: readonly SinkQueue[]): void {
    for (const sink of sinks) {
      this.alarm(`${sink.name}NotEmpty`, {
        metric: sink.queue.metricApproximateNumberOfMessagesVisible({
          period: minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        description: `${sink.name} holds messages: exports or records need attention (docs/RUNBOOK.md)`,
        treatMissingData: MISSING.keepLastState,
      });
      const warnAt = sink.retentionSeconds - ALARM_THRESHOLDS.sinkExpiryWarningSeconds;
      this.alarm(`${sink.name}NearExpiry`, {
        metric: sink.queue.metricApproximateAgeOfOldestMessage({
          period: minutes(15),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: warnAt,
        description: `${sink.name}'s oldest message is older than ${days(warnAt)} days: SQS deletes it at ${days(sink.retentionSeconds)} days (docs/RUNBOOK.md)`,
        treatMissingData: MISSING.keepLastState,
      });
    }
  }

  /** The pipeline falling behind: the export queue's oldest message, iterator age, p95 latency. */
  private lagAlarms(props: PipelineAlertsProps): void {
    this.alarm('ExportQueueOldestMessage', {
      metric: props.exportQueue.metricApproximateAgeOfOldestMessage({
        period: minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: ALARM_THRESHOLDS.exportQueueOldestMessageSeconds,
      description:
        "An export has waited in the export queue longer than the source page's 10-minute p95: the exporter is stalled or starved (mapping disabled, concurrency, permissions)",
      // The export mapping polls the queue without pause, so its metrics flow while it runs;
      // every waiting export was sent less than six hours ago or had already raised this alarm.
      treatMissingData: MISSING.keepLastState,
    });
    this.alarm('DecideIteratorAge', {
      metric: props.functions.decide.metric('IteratorAge', {
        period: minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: ALARM_THRESHOLDS.decideIteratorAgeMs,
      description: 'The decide function is more than 5 minutes behind the profile table stream',
      treatMissingData: MISSING.keepLastState,
    });
    this.alarm('ExportLatencyP95', {
      metric: pipelineMetric(props.pipelineName, METRIC.exportLatency, {
        period: minutes(5),
        statistic: cloudwatch.Stats.p(95),
      }),
      threshold: ALARM_THRESHOLDS.exportLatencyP95Ms,
      description: "p95 export latency is above the source page's 10 minutes",
      treatMissingData: MISSING.keepLastState,
    });
  }

  /** Errors and throttles of every function; failures Lambda itself could not hand on. */
  private functionAlarms(props: PipelineAlertsProps): void {
    for (const [name, fn] of Object.entries(props.functions)) {
      const title = name.charAt(0).toUpperCase() + name.slice(1);
      this.alarm(`${title}Errors`, {
        metric: fn.metricErrors({ period: minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        description: `The ${name} function failed invocations`,
        treatMissingData: MISSING.noEventsIsOk,
      });
      this.alarm(`${title}Throttles`, {
        metric: fn.metricThrottles({ period: minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        description: `The ${name} function was throttled by Lambda`,
        treatMissingData: MISSING.noEventsIsOk,
      });
    }
    const sum = { period: minutes(5), statistic: cloudwatch.Stats.SUM };
    this.alarm('DecideDestinationDeliveryFailures', {
      metric: props.functions.decide.metric('DestinationDeliveryFailures', sum),
      threshold: 0,
      description:
        "The decide mapping could not deliver a failed batch's description to the decide-failures queue: that batch's changes were dropped unrecorded",
      treatMissingData: MISSING.noEventsIsOk,
    });
    this.alarm('BackfillAsyncEventsDropped', {
      metric: props.functions.backfill.metric('AsyncEventsDropped', sum),
      threshold: 0,
      description:
        'Lambda dropped a backfill invocation (retries, event age, or zero concurrency) without running it',
      treatMissingData: MISSING.noEventsIsOk,
    });
    this.alarm('BackfillDeadLetterErrors', {
      metric: props.functions.backfill.metric('DeadLetterErrors', sum),
      threshold: 0,
      description:
        'A failed backfill invocation could not be sent to the backfill-failures queue: the run stopped unrecorded',
      treatMissingData: MISSING.noEventsIsOk,
    });
  }

  private alarm(id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: spec.treatMissingData,
      alarmDescription: spec.description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}

function days(seconds: number): number {
  return Math.round(seconds / 86_400);
}
