import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { METRIC, type MetricName } from '../core/metric-names.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { backfillEnvironment } from '../lambdas/backfill/environment.js';
import { decideEnvironment } from '../lambdas/decide/environment.js';
import { exportEnvironment } from '../lambdas/export/environment.js';
import { BackfillTrigger } from './backfill-trigger.js';
import { ConfigLayer } from './config-layer.js';
import { ConnectionCheck } from './connection-check.js';
import { DestinationStreams } from './destination-streams.js';
import { EgressNetwork } from './egress-network.js';
import { environmentSizeIssue } from './environment-size.js';
import { KinesisDestinationPropsError } from './errors.js';
import { ExportQueueSenders, grantRedriveRights } from './export-queue-senders.js';
import {
  consolidateProfileTableProps,
  DEFAULT_ENTRIES,
  dataRemovalPolicyOf,
  PIPELINE_KEY_PROPS,
  pipelineKeyStatements,
  STATE_TABLE_PROPS,
} from './kinesis-destination-defaults.js';
import type { KinesisDestinationProps } from './kinesis-destination-props.js';
import { acknowledgeFindings } from './nag.js';
import { backfillFunctionName } from './physical-names.js';
import { PipelineAlerts } from './pipeline-alerts.js';
import { pipelineMetric } from './pipeline-dashboard.js';
import { PipelineFunction, seconds } from './pipeline-function.js';
import { addPipelineOutputs } from './pipeline-outputs.js';
import { PipelineQueues } from './pipeline-queues.js';
import { tagPipeline } from './pipeline-tags.js';
import { wirePipeline } from './pipeline-wiring.js';
import { type ResolvedProps, resolveProps } from './props-resolution.js';
import { restrictRedriveSources } from './redrive-allow-policy.js';

/** The backfill scans the whole table in one run that re-invokes itself: Lambda's maximum timeout. */
const BACKFILL_TIMEOUT = Duration.minutes(15);

/**
 * The whole pipeline of docs/ARCHITECTURE.md as one construct, to add to any stack, any number of
 * times: profile table → decide → FIFO export queue → export → destination Kinesis streams, with the
 * state table, dead-letter and rejects queues, the deploy-time connection check and backfill, alarms,
 * a dashboard and the stack outputs the CLI reads. Bring your own profile table, state table, key and
 * alarm topic, or let it create them.
 *
 * Environment-agnostic: synthesis needs no account and makes no lookups.
 * @throws KinesisDestinationPropsError listing every problem of the props (each with its prop path
 *   and fix): invalid destinations or catalog, conflicting props, an existing table that does not fit
 */
export class KinesisDestination extends Construct {
  /** The pipeline's name: its metrics' `pipeline` dimension and the root of its fixed names. */
  readonly pipelineName: string;
  /** The validated destinations and catalog, as the functions receive them (deploy-time values as tokens). */
  readonly config: DestinationConfig;
  /** Encrypts the queues, the alarm topic (if created here) and the log groups. */
  readonly encryptionKey: kms.IKey;
  /** The table upstream writers write profiles to. */
  readonly profileTable: dynamodb.ITable;
  /** Delivery ledger, failure log, backfill checkpoints (created, or `existingStateTable`). */
  readonly stateTable: dynamodb.ITable;
  /** The FIFO export queue between decide and export. */
  readonly exportQueue: sqs.Queue;
  /** The export queue's dead-letter queue. */
  readonly deadLetterQueue: sqs.Queue;
  /** Poison stream records and oversize payloads. */
  readonly rejectsQueue: sqs.Queue;
  /** The decide mapping's on-failure queue: stream ranges it gave up on (`decide replay`). */
  readonly decideFailuresQueue: sqs.Queue;
  /** Profile table stream → export decisions → export queue. */
  readonly decideFunction: lambda.Function;
  /** Export queue → PutRecords to the destination streams. */
  readonly exportFunction: lambda.Function;
  /** Historical backfill of newly mapped segments (started on deploy). */
  readonly backfillFunction: lambda.Function;
  /** The role that writes to the streams (trust it in cross-account roles). */
  readonly exportRole: iam.Role;
  /** The deploy-time connection check's role: it assumes cross-account roles too (trust it as well). */
  readonly connectionCheckRole: iam.Role;
  /** The topic every alarm notifies on ALARM and OK. */
  readonly alarmTopic: sns.ITopic;
  /** The pipeline's alarms (docs/RUNBOOK.md says what each means), on this pipeline's metrics only. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The CloudWatch dashboard of the flow. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The VPC of `staticEgressIps`, with the Elastic IPs requests to the streams leave from. */
  readonly egressNetwork?: EgressNetwork;

  private readonly senders: ExportQueueSenders;

  constructor(scope: Construct, id: string, props: KinesisDestinationProps) {
    super(scope, id);
    const resolved = resolveProps(this, props);
    this.pipelineName = resolved.pipelineName;
    this.config = resolved.config;
    const { config } = this;
    const entries = DEFAULT_ENTRIES;

    this.encryptionKey = props.existingEncryptionKey ?? new kms.Key(this, 'PipelineKey', PIPELINE_KEY_PROPS);
    for (const statement of pipelineKeyStatements()) this.encryptionKey.addToResourcePolicy(statement);
    this.profileTable =
      props.existingProfileTable ??
      new dynamodb.Table(this, 'ProfileTable', consolidateProfileTableProps(props.profileTableProps));
    const removalPolicy = dataRemovalPolicyOf(props.dataRemovalPolicy);
    this.stateTable =
      props.existingStateTable ??
      new dynamodb.Table(this, 'StateTable', { ...STATE_TABLE_PROPS, removalPolicy });
    const queues = new PipelineQueues(this, 'Queues', { key: this.encryptionKey, removalPolicy });
    const streams = new DestinationStreams(this, 'Destinations', {
      destinations: config.destinations,
      targets: resolved.targets,
      removalPolicy,
    });

    // The literal config reaches every function as one layer (the handler assets stay the package's);
    // values known only at deploy time, through the environment.
    const configLayer = new ConfigLayer(this, 'ConfigLayer', { config: resolved.layerConfig });
    const configOverrides =
      Object.keys(resolved.overrides).length === 0
        ? undefined
        : Stack.of(this).toJsonString({ destinations: resolved.overrides });
    const common = {
      configLayer,
      logKey: this.encryptionKey,
      pipelineName: this.pipelineName,
      ...(configOverrides === undefined ? {} : { configOverrides }),
    };
    this.egressNetwork = EgressNetwork.ifRequested(
      this,
      {
        ...(props.staticEgressIps === undefined ? {} : { staticEgressIps: props.staticEgressIps }),
        ...(props.kinesisEndpoint === undefined ? {} : { kinesisEndpoint: props.kinesisEndpoint }),
        ...(props.elasticIpAllocationIds === undefined
          ? {}
          : { elasticIpAllocationIds: props.elasticIpAllocationIds }),
        dataRemovalPolicy: removalPolicy,
      },
      this.encryptionKey,
    );
    const network = this.egressNetwork === undefined ? {} : { network: this.egressNetwork.functionNetwork };
    const decide = new PipelineFunction(this, 'Decide', {
      ...common,
      entry: entries.decide,
      description: 'Profile table stream -> export decisions -> FIFO export queue',
      memorySize: PIPELINE_SETTINGS.decide.memoryMb,
      timeout: seconds(PIPELINE_SETTINGS.decide.timeoutSeconds),
      environment: decideEnvironment({
        exportQueueUrl: queues.exportQueue.queueUrl,
        rejectsQueueUrl: queues.rejectsQueue.queueUrl,
      }),
    });
    const exporter = new PipelineFunction(this, 'Export', {
      ...common,
      entry: entries.export,
      description: 'FIFO export queue -> PutRecords to the destination Kinesis streams',
      // Cross-account roles trust it by name (core/role-names.ts).
      roleName: resolved.exportRoleName,
      ...network,
      memorySize: PIPELINE_SETTINGS.export.memoryMb,
      timeout: seconds(PIPELINE_SETTINGS.export.timeoutSeconds),
      environment: exportEnvironment({
        stateTableName: this.stateTable.tableName,
        exportQueueUrl: queues.exportQueue.queueUrl,
        deadLetterQueueUrl: queues.deadLetterQueue.queueUrl,
        exportMaxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount,
      }),
    });
    // A fixed name lets the function's own policy name it without a reference to itself.
    const backfillName = backfillFunctionName(this.pipelineName);
    const backfill = new PipelineFunction(this, 'Backfill', {
      ...common,
      entry: entries.backfill,
      functionName: backfillName,
      description: 'Historical backfill of newly mapped segments (started on deploy)',
      memorySize: PIPELINE_SETTINGS.backfill.memoryMb,
      timeout: BACKFILL_TIMEOUT,
      deadLetterQueue: queues.backfillFailuresQueue,
      environment: backfillEnvironment({
        profileTableName: this.profileTable.tableName,
        stateTableName: this.stateTable.tableName,
        exportQueueUrl: queues.exportQueue.queueUrl,
      }),
    });
    const parts = {
      scope: this,
      decide,
      export: exporter,
      backfill,
      queues,
      streams,
      profileTable: this.profileTable,
      stateTable: this.stateTable,
      encryptionKey: this.encryptionKey,
    };
    wirePipeline(parts, backfillName);
    // Only the pipeline's roles and the operators' may put exports into the export queue.
    this.senders = new ExportQueueSenders(queues.exportQueue, [decide.role, backfill.role, exporter.role]);

    const connectionCheck = new ConnectionCheck(this, 'ConnectionCheck', {
      ...common,
      entry: entries.connectionCheck,
      destinations: streams.resolved,
      exportRole: exporter.role,
      roleName: resolved.connectionCheckRoleName,
      ...network,
    });
    this.checkEnvironmentSizes([decide, exporter, backfill, connectionCheck.handler], resolved);
    if (this.egressNetwork !== undefined) {
      // The routes through the NAT gateways exist before the check or an export reaches a stream.
      connectionCheck.resource?.node.addDependency(this.egressNetwork);
      exporter.function.node.addDependency(this.egressNetwork);
    }
    const backfillTrigger = new BackfillTrigger(this, 'BackfillTrigger', {
      destinations: config.destinations,
      backfillFunction: backfill.function,
      logKey: this.encryptionKey,
    });
    if (connectionCheck.resource !== undefined) {
      // No backfill into a stream the check has not found writable.
      backfillTrigger.node.addDependency(connectionCheck.resource);
    }
    // After the backfill trigger: both use the stack's AwsCustomResource singleton.
    const redriveAllowPolicy = restrictRedriveSources(this, 'DeadLetterRedriveAllowPolicy', {
      deadLetterQueue: queues.deadLetterQueue,
      sourceQueue: queues.exportQueue,
      logKey: this.encryptionKey,
    });

    const alerts = new PipelineAlerts(this, 'Alerts', {
      pipelineName: this.pipelineName,
      key: this.encryptionKey,
      ...(props.existingAlarmTopic === undefined ? {} : { topic: props.existingAlarmTopic }),
      emails: config.alerts?.emails ?? [],
      functions: { decide: decide.function, export: exporter.function, backfill: backfill.function },
      exportQueue: queues.exportQueue,
      sinks: queues.sinks,
      stateTable: this.stateTable,
      destinationIds: config.destinations.map((d) => d.id),
    });

    this.exportQueue = queues.exportQueue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.rejectsQueue = queues.rejectsQueue;
    this.decideFailuresQueue = queues.decideFailuresQueue;
    this.decideFunction = decide.function;
    this.exportFunction = exporter.function;
    this.backfillFunction = backfill.function;
    this.exportRole = exporter.role;
    this.connectionCheckRole = connectionCheck.handler.role;
    this.alarmTopic = alerts.topic;
    this.alarms = alerts.alarms;
    this.dashboard = alerts.dashboard;
    for (const role of props.operatorRoles ?? []) this.grantRedrive(role);

    addPipelineOutputs(this, resolved.outputPrefix, {
      pipelineName: this.pipelineName,
      profileTableName: this.profileTable.tableName,
      stateTableName: this.stateTable.tableName,
      exportQueueUrl: this.exportQueue.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      rejectsQueueUrl: this.rejectsQueue.queueUrl,
      decideFailuresQueueUrl: this.decideFailuresQueue.queueUrl,
      exportRoleArn: this.exportRole.roleArn,
      connectionCheckRoleArn: this.connectionCheckRole.roleArn,
      pipelineKeyArn: this.encryptionKey.keyArn,
      alertTopicArn: this.alarmTopic.topicArn,
      dashboardName: this.dashboard.dashboardName,
      ...(this.egressNetwork === undefined ? {} : { egressNetwork: this.egressNetwork }),
    });
    tagPipeline(this, config.destinations, streams.resolved);
    const created = (table: dynamodb.ITable, existing: dynamodb.ITable | undefined) =>
      existing === undefined ? [table] : [];
    acknowledgeFindings({
      scope: this,
      functions: { decide, export: exporter, backfill },
      asyncFunctions: [backfill],
      connectionCheck,
      backfillTrigger,
      redriveAllowPolicy,
      ...(this.egressNetwork === undefined
        ? {}
        : { network: { egress: this.egressNetwork, inVpc: [exporter, connectionCheck.handler] } }),
      streams,
      queues,
      // An existing table's findings are its owner's to settle.
      tables: [
        ...created(this.profileTable, props.existingProfileTable),
        ...created(this.stateTable, props.existingStateTable),
      ],
    });
  }

  /**
   * Lets `grantee` write profiles to the profile table (PutItem, UpdateItem, BatchWriteItem,
   * DeleteItem, with the table's customer-managed key if it has one): an upstream writer.
   */
  grantWriteProfiles(grantee: iam.IGrantable): iam.Grant {
    return this.profileTable.grantWriteData(grantee);
  }

  /**
   * Lets an operator's role (or user) run `dlq list` and `dlq redrive` against this pipeline: read
   * the dead-letter queue and move its messages back (message move tasks, and the selective move of
   * `--destination`), send to the export queue — which its policy otherwise denies to anyone but the
   * pipeline's own roles: SQS's move task sends as the operator — read the state table's failure
   * records, use the pipeline key, and read the stack's outputs.
   * @throws KinesisDestinationPropsError when `grantee` is neither a role nor a user (the queue policy
   *   names the principal by ARN).
   */
  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    const principalArn =
      'roleArn' in grantee
        ? (grantee as iam.IRole).roleArn
        : 'userArn' in grantee
          ? (grantee as iam.IUser).userArn
          : undefined;
    if (principalArn === undefined) {
      throw new KinesisDestinationPropsError(
        `${this.node.path}: grantRedrive needs an IAM role or user: the export queue's policy lets senders in by their ARN`,
      );
    }
    this.senders.allow(principalArn);
    return grantRedriveRights(grantee, {
      deadLetterQueue: this.deadLetterQueue,
      exportQueue: this.exportQueue,
      stateTable: this.stateTable,
      key: this.encryptionKey,
      stackId: Stack.of(this).stackId,
    });
  }

  /**
   * One of this pipeline's own metrics (core/metric-names.ts), with its dimensions — `service` and
   * `pipeline` — so it never shows another pipeline's data.
   * @param props statistic, period, label, … @default Sum over 5 minutes
   */
  metric(metricName: MetricName, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return pipelineMetric(this.pipelineName, metricName, { period: Duration.minutes(5), ...props });
  }

  /** Stream record → successful put, in milliseconds. @default p95 over 5 minutes */
  metricExportLatency(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric(METRIC.exportLatency, { statistic: cloudwatch.Stats.p(95), ...props });
  }

  /** Records Kinesis accepted. @default Sum over 5 minutes */
  metricDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC.recordsPut, props);
  }

  /** Exports dead-lettered (after their last attempt). @default Sum over 5 minutes */
  metricDeadLettered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC.recordsDeadLettered, props);
  }

  /** Entries Kinesis or KMS throttled. @default Sum over 5 minutes */
  metricThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC.recordsThrottled, props);
  }

  /** Exports queued by decide and the backfill. @default Sum over 5 minutes */
  metricExportsQueued(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC.exportsQueued, props);
  }

  /** Stream records decide evaluated. @default Sum over 5 minutes */
  metricProfilesEvaluated(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC.profilesEvaluated, props);
  }

  /** Records sent to the rejects queue. @default Sum over 5 minutes */
  metricRejects(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRIC.rejects, props);
  }

  /**
   * Fails synth when a function's environment can exceed Lambda's 4 KB once its deploy-time values
   * resolve, naming the destinations to give literal ARNs.
   */
  private checkEnvironmentSizes(functions: readonly PipelineFunction[], resolved: ResolvedProps): void {
    const issues = functions.flatMap(
      (fn) => environmentSizeIssue(fn.node.id, fn.environment, resolved.overrides) ?? [],
    );
    if (issues.length > 0) {
      throw new KinesisDestinationPropsError(issues.slice(0, 1), {
        subject: `KinesisDestination ${this.node.path}`,
      });
    }
  }
}
