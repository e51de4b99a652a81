import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { PIPELINE_SETTINGS, UNTIL_RECORD_EXPIRES } from '../core/pipeline-settings.js';
import { backfillEnvironment } from '../lambdas/backfill/environment.js';
import { decideEnvironment } from '../lambdas/decide/environment.js';
import { exportEnvironment } from '../lambdas/export/environment.js';
import { BackfillTrigger } from './backfill-trigger.js';
import { ConfigLayer } from './config-layer.js';
import { ConnectionCheck } from './connection-check.js';
import { DestinationStreams, grantExportToDestinations } from './destination-streams.js';
import { EgressNetwork } from './egress-network.js';
import { KinesisDestinationPropsError } from './errors.js';
import {
  checkExistingProfileTable,
  consolidateProfileTableProps,
  DEFAULT_ENTRIES,
  dataRemovalPolicyOf,
  PIPELINE_KEY_PROPS,
  pipelineKeyStatements,
  STATE_TABLE_PROPS,
} from './kinesis-destination-defaults.js';
import { type KinesisDestinationProps, validatedConfig } from './kinesis-destination-props.js';
import { mappingSettingsOf } from './mapping-settings.js';
import { acknowledgeFindings } from './nag.js';
import { assumingRoleName, backfillFunctionName } from './physical-names.js';
import { PipelineAlerts } from './pipeline-alerts.js';
import { PipelineFunction, seconds } from './pipeline-function.js';
import { PipelineQueues } from './pipeline-queues.js';
import { tagPipeline } from './pipeline-tags.js';
import { restrictRedriveSources } from './redrive-allow-policy.js';

/** The backfill scans the whole table in one run that re-invokes itself: Lambda's maximum timeout. */
const BACKFILL_TIMEOUT = Duration.minutes(15);

/** Actions on the state table (delivery ledger, failure log, backfill checkpoints). */
const STATE_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** SQS producers on a KMS-encrypted queue need GenerateDataKey and Decrypt on its key. */
const SQS_PRODUCER_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * The whole pipeline of docs/ARCHITECTURE.md as one construct, to add to any stack: profile table →
 * decide → FIFO export queue → export → destination Kinesis streams, with the state table,
 * dead-letter and rejects queues, the deploy-time connection check and backfill, alarms and a
 * dashboard. Bring your own profile table, key and alarm topic, or let it create them.
 *
 * Environment-agnostic: synthesis needs no account and makes no lookups.
 * @throws ConfigError when the destinations or the catalog are invalid (one line per issue)
 * @throws KinesisDestinationPropsError when props conflict or an existing table does not fit
 */
export class KinesisDestination extends Construct {
  /** The validated destinations and catalog, as the functions receive them. */
  readonly config: DestinationConfig;
  /** Encrypts the queues, the alarm topic (if created here) and the log groups. */
  readonly encryptionKey: kms.IKey;
  /** The table upstream writers write profiles to. */
  readonly profileTable: dynamodb.ITable;
  /** Delivery ledger, failure log, backfill checkpoints. */
  readonly stateTable: dynamodb.Table;
  /** The FIFO export queue between decide and export. */
  readonly exportQueue: sqs.Queue;
  /** The export queue's dead-letter queue (after `maxReceiveCount` receives). */
  readonly deadLetterQueue: sqs.Queue;
  /** Poison stream records and oversize payloads. */
  readonly rejectsQueue: sqs.Queue;
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
  /** The pipeline's alarms (docs/RUNBOOK.md says what each means). */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The CloudWatch dashboard of the flow. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The VPC of `network.staticEgressIps`, with the Elastic IPs requests to the streams leave from. */
  readonly egressNetwork?: EgressNetwork;

  private readonly queues: PipelineQueues;
  private readonly streams: DestinationStreams;
  private readonly decide: PipelineFunction;
  private readonly export: PipelineFunction;
  private readonly backfill: PipelineFunction;

  constructor(scope: Construct, id: string, props: KinesisDestinationProps) {
    super(scope, id);
    this.config = validatedConfig(props, this.node.path);
    const { config } = this;
    const entries = { ...DEFAULT_ENTRIES, ...props.entries };

    this.encryptionKey = props.existingEncryptionKey ?? new kms.Key(this, 'PipelineKey', PIPELINE_KEY_PROPS);
    for (const statement of pipelineKeyStatements()) this.encryptionKey.addToResourcePolicy(statement);
    this.profileTable = this.profileTableFrom(props);
    const removalPolicy = dataRemovalPolicyOf(props.dataRemovalPolicy);
    this.stateTable = new dynamodb.Table(this, 'StateTable', { ...STATE_TABLE_PROPS, removalPolicy });
    this.queues = new PipelineQueues(this, 'Queues', { key: this.encryptionKey, removalPolicy });
    this.streams = new DestinationStreams(this, 'Destinations', {
      destinations: config.destinations,
      removalPolicy,
    });

    // The literal config reaches every function as one layer: the handler assets stay the package's.
    const configLayer = new ConfigLayer(this, 'ConfigLayer', { config });
    const common = { configLayer, logKey: this.encryptionKey };
    this.egressNetwork = EgressNetwork.ifRequested(this, props.network, this.encryptionKey);
    const network = this.egressNetwork === undefined ? {} : { network: this.egressNetwork.functionNetwork };
    this.decide = new PipelineFunction(this, 'Decide', {
      ...common,
      entry: entries.decide,
      description: 'Profile table stream -> export decisions -> FIFO export queue',
      memorySize: PIPELINE_SETTINGS.decide.memoryMb,
      timeout: seconds(PIPELINE_SETTINGS.decide.timeoutSeconds),
      environment: decideEnvironment({
        exportQueueUrl: this.queues.exportQueue.queueUrl,
        rejectsQueueUrl: this.queues.rejectsQueue.queueUrl,
      }),
    });
    this.export = new PipelineFunction(this, 'Export', {
      ...common,
      entry: entries.export,
      description: 'FIFO export queue -> PutRecords to the destination Kinesis streams',
      // Cross-account roles trust it by name (core/role-names.ts).
      roleName: assumingRoleName(this, 'export'),
      ...network,
      memorySize: PIPELINE_SETTINGS.export.memoryMb,
      timeout: seconds(PIPELINE_SETTINGS.export.timeoutSeconds),
      environment: exportEnvironment({
        stateTableName: this.stateTable.tableName,
        exportQueueUrl: this.queues.exportQueue.queueUrl,
        deadLetterQueueUrl: this.queues.deadLetterQueue.queueUrl,
        exportMaxReceiveCount: PIPELINE_SETTINGS.exportQueue.maxReceiveCount,
      }),
    });
    // A fixed name lets the function's own policy name it without a reference to itself.
    const backfillName = backfillFunctionName(this);
    this.backfill = new PipelineFunction(this, 'Backfill', {
      ...common,
      entry: entries.backfill,
      functionName: backfillName,
      description: 'Historical backfill of newly mapped segments (started on deploy)',
      memorySize: PIPELINE_SETTINGS.backfill.memoryMb,
      timeout: BACKFILL_TIMEOUT,
      deadLetterQueue: this.queues.backfillFailuresQueue,
      environment: backfillEnvironment({
        profileTableName: this.profileTable.tableName,
        stateTableName: this.stateTable.tableName,
        exportQueueUrl: this.queues.exportQueue.queueUrl,
      }),
    });

    this.wireDecide();
    this.wireExport();
    this.wireBackfill(backfillName);
    this.grantProfileTableKey();

    const connectionCheck = new ConnectionCheck(this, 'ConnectionCheck', {
      ...common,
      entry: entries.connectionCheck,
      destinations: this.streams.resolved,
      exportRole: this.export.role,
      roleName: assumingRoleName(this, 'connectionCheck'),
      ...network,
    });
    if (this.egressNetwork !== undefined) {
      // The routes through the NAT gateways exist before the check or an export reaches a stream.
      connectionCheck.resource?.node.addDependency(this.egressNetwork);
      this.export.function.node.addDependency(this.egressNetwork);
    }
    const backfillTrigger = new BackfillTrigger(this, 'BackfillTrigger', {
      destinations: config.destinations,
      backfillFunction: this.backfill.function,
      logKey: this.encryptionKey,
    });
    if (connectionCheck.resource !== undefined) {
      // No backfill into a stream the check has not found writable.
      backfillTrigger.node.addDependency(connectionCheck.resource);
    }
    // After the backfill trigger: both use the stack's AwsCustomResource singleton.
    const redriveAllowPolicy = restrictRedriveSources(this, 'DeadLetterRedriveAllowPolicy', {
      deadLetterQueue: this.queues.deadLetterQueue,
      sourceQueue: this.queues.exportQueue,
      logKey: this.encryptionKey,
    });

    const alerts = new PipelineAlerts(this, 'Alerts', {
      key: this.encryptionKey,
      ...(props.existingAlarmTopic === undefined ? {} : { topic: props.existingAlarmTopic }),
      emails: config.alerts?.emails ?? [],
      functions: {
        decide: this.decide.function,
        export: this.export.function,
        backfill: this.backfill.function,
      },
      exportQueue: this.queues.exportQueue,
      sinks: this.queues.sinks,
      stateTable: this.stateTable,
    });

    this.exportQueue = this.queues.exportQueue;
    this.deadLetterQueue = this.queues.deadLetterQueue;
    this.rejectsQueue = this.queues.rejectsQueue;
    this.decideFunction = this.decide.function;
    this.exportFunction = this.export.function;
    this.backfillFunction = this.backfill.function;
    this.exportRole = this.export.role;
    this.connectionCheckRole = connectionCheck.handler.role;
    this.alarmTopic = alerts.topic;
    this.alarms = alerts.alarms;
    this.dashboard = alerts.dashboard;

    tagPipeline(this, config.destinations, this.streams.resolved);
    acknowledgeFindings({
      scope: this,
      functions: { decide: this.decide, export: this.export, backfill: this.backfill },
      asyncFunctions: [this.backfill],
      connectionCheck,
      backfillTrigger,
      redriveAllowPolicy,
      ...(this.egressNetwork === undefined
        ? {}
        : { network: { egress: this.egressNetwork, inVpc: [this.export, connectionCheck.handler] } }),
      streams: this.streams,
      queues: this.queues,
      // An existing table's findings are its owner's to settle.
      tables:
        props.existingProfileTable === undefined ? [this.profileTable, this.stateTable] : [this.stateTable],
    });
  }

  private profileTableFrom(props: KinesisDestinationProps): dynamodb.ITable {
    const existing = props.existingProfileTable;
    if (existing !== undefined && props.profileTableProps !== undefined) {
      throw new KinesisDestinationPropsError(
        `${this.node.path}: use either existingProfileTable or profileTableProps, not both: profileTableProps configures the table the construct creates when none is given`,
      );
    }
    if (existing !== undefined) {
      checkExistingProfileTable(existing);
      return existing;
    }
    return new dynamodb.Table(this, 'ProfileTable', consolidateProfileTableProps(props.profileTableProps));
  }

  /**
   * A profile table under a customer-managed key (an existing table with its key, or
   * profileTableProps.encryption): decide reads its stream and the backfill scans it, so both may
   * kms:Decrypt with that key — and nothing else with it.
   */
  private grantProfileTableKey(): void {
    const key = this.profileTable.encryptionKey;
    if (key === undefined) return;
    for (const fn of [this.decide, this.backfill]) key.grantDecrypt(fn.role);
  }

  /** The profile table's stream, as the event source sees it: no key, so no key grant. */
  private profileStreamView(): dynamodb.ITable {
    const table = this.profileTable;
    if (table.encryptionKey === undefined) return table;
    return dynamodb.Table.fromTableAttributes(this, 'ProfileStream', {
      tableArn: table.tableArn,
      ...(table.tableStreamArn === undefined ? {} : { tableStreamArn: table.tableStreamArn }),
    });
  }

  /** Stream → decide; decide may send to the export and rejects queues and nothing else. */
  private wireDecide(): void {
    const s = PIPELINE_SETTINGS.decide;
    const failures = this.queues.decideFailuresQueue;
    this.decide.function.addEventSource(
      // The stream without the table's key: CDK's stream grant would add kms:Decrypt and
      // kms:DescribeKey; grantProfileTableKey gives exactly kms:Decrypt, to decide and the backfill.
      new DynamoEventSource(this.profileStreamView(), {
        startingPosition: s.startingPosition as lambda.StartingPosition,
        batchSize: s.batchSize,
        maxBatchingWindow: seconds(s.maxBatchingWindowSeconds),
        bisectBatchOnError: s.bisectBatchOnError,
        retryAttempts: s.retryAttempts,
        // Unset: -1, "until the record expires" (written explicitly below; CDK takes only 60 s–7 days).
        ...(s.maxRecordAgeSeconds === UNTIL_RECORD_EXPIRES
          ? {}
          : { maxRecordAge: seconds(s.maxRecordAgeSeconds) }),
        parallelizationFactor: mappingSettingsOf(this).parallelizationFactor,
        reportBatchItemFailures: true,
        // The mapping sends the failed batch's description with the function's role.
        onFailure: { bind: () => ({ destination: failures.queueArn }) },
      }),
    );
    if (s.maxRecordAgeSeconds === UNTIL_RECORD_EXPIRES) {
      // CloudFormation's default too, written so the template says it (settings-drift.test.ts).
      const mapping = this.decide.function.node
        .findAll()
        .find((c): c is lambda.CfnEventSourceMapping => c instanceof lambda.CfnEventSourceMapping);
      mapping?.addPropertyOverride('MaximumRecordAgeInSeconds', UNTIL_RECORD_EXPIRES);
    }
    this.sendTo(this.decide, 'SendToQueues', [this.queues.exportQueue, this.queues.rejectsQueue, failures]);
  }

  /** Export queue → export; exactly the source page's three Kinesis actions. */
  private wireExport(): void {
    const s = PIPELINE_SETTINGS.export;
    if (s.maxBatchingWindowSeconds !== 0) {
      throw new Error(
        'export.maxBatchingWindowSeconds must be 0: Lambda has no batching window for FIFO queues',
      );
    }
    this.export.function.addEventSource(
      new SqsEventSource(this.queues.exportQueue, {
        batchSize: s.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: mappingSettingsOf(this).maxConcurrency,
      }),
    );
    grantExportToDestinations(this.export.role, this.streams);
    this.grantStateTable(this.export);
    // On a message's last attempt the function moves it to the DLQ itself, with its failure attached.
    this.sendTo(this.export, 'MoveToDeadLetterQueue', [this.queues.deadLetterQueue]);
  }

  private wireBackfill(functionName: string): void {
    const role = this.backfill.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ScanProfiles',
        // DescribeTable: the item count for progress, and the read capacity the backfill may use a share of.
        actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'],
        resources: [this.profileTable.tableArn],
      }),
    );
    this.grantStateTable(this.backfill);
    this.sendTo(this.backfill, 'SendExports', [this.queues.exportQueue]);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ContinueOwnScan',
        actions: ['lambda:InvokeFunction'],
        resources: [PipelineFunction.arnForName(this, functionName)],
      }),
    );
  }

  private grantStateTable(fn: PipelineFunction): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteState',
        actions: STATE_TABLE_ACTIONS,
        resources: [this.stateTable.tableArn],
      }),
    );
  }

  private sendTo(fn: PipelineFunction, sid: string, queues: readonly sqs.IQueue[]): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid,
        actions: ['sqs:SendMessage'],
        resources: queues.map((q) => q.queueArn),
      }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: `${sid}Encrypted`,
        actions: SQS_PRODUCER_KEY_ACTIONS,
        resources: [this.encryptionKey.keyArn],
      }),
    );
  }
}
