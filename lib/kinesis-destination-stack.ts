import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { BackfillTrigger } from './backfill-trigger.js';
import { ConnectionCheck } from './connection-check.js';
import { DestinationStreams, grantDestinationCredentials } from './destination-streams.js';
import { acknowledgeStackFindings } from './nag.js';
import { PipelineAlerts } from './pipeline-alerts.js';
import { PipelineFunction, seconds } from './pipeline-function.js';
import { PipelineQueues } from './pipeline-queues.js';

/** Handler files of the stack's functions; each exports `handler`. */
export interface HandlerEntries {
  readonly decide: string;
  readonly export: string;
  readonly backfill: string;
  readonly connectionCheck: string;
}

/** The handlers under `lambdas/`. */
export const DEFAULT_ENTRIES: HandlerEntries = {
  decide: lambdaPath('decide/handler.ts'),
  export: lambdaPath('export/handler.ts'),
  backfill: lambdaPath('backfill/handler.ts'),
  connectionCheck: lambdaPath('connection-check/handler.ts'),
};

function lambdaPath(relative: string): string {
  return fileURLToPath(new URL(`../lambdas/${relative}`, import.meta.url));
}

/** The backfill scans the whole table in one run that re-invokes itself: Lambda's maximum timeout. */
const BACKFILL_TIMEOUT = Duration.minutes(15);
const BACKFILL_MEMORY_MB = 1024;

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

export interface KinesisDestinationStackProps extends StackProps {
  /** The validated destination config (`parseConfig`). */
  readonly config: DestinationConfig;
  /** @default - DEFAULT_ENTRIES, the handlers under lambdas/ */
  readonly entries?: Partial<HandlerEntries>;
}

/**
 * The whole pipeline of docs/ARCHITECTURE.md in one stack: profile table → decide → FIFO export
 * queue → export → destination Kinesis streams, with the state table, dead-letter and rejects
 * queues, the deploy-time connection check and backfill, alarms and a dashboard.
 *
 * Environment-agnostic: `cdk synth` needs no account and makes no lookups.
 */
export class KinesisDestinationStack extends Stack {
  readonly key: kms.Key;
  readonly profileTable: dynamodb.ITable;
  readonly stateTable: dynamodb.Table;
  readonly queues: PipelineQueues;
  readonly streams: DestinationStreams;
  readonly decide: PipelineFunction;
  readonly export: PipelineFunction;
  readonly backfill: PipelineFunction;
  readonly connectionCheck?: ConnectionCheck;
  readonly backfillTrigger: BackfillTrigger;
  readonly alerts: PipelineAlerts;

  constructor(scope: Construct, id: string, props: KinesisDestinationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const entries = { ...DEFAULT_ENTRIES, ...props.entries };

    this.key = this.createPipelineKey();
    this.profileTable = this.createOrImportProfileTable(config);
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'ttl',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS managed key: callers need no KMS permission, key use is logged in CloudTrail.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Bookkeeping that is meaningless without the stack; every item expires anyway.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.queues = new PipelineQueues(this, 'Queues', { key: this.key });
    this.streams = new DestinationStreams(this, 'Destinations', { destinations: config.destinations });

    const common = { config, logKey: this.key };
    this.decide = new PipelineFunction(this, 'Decide', {
      ...common,
      entry: entries.decide,
      description: 'Profile table stream -> export decisions -> FIFO export queue',
      memorySize: PIPELINE_SETTINGS.decide.memoryMb,
      timeout: seconds(PIPELINE_SETTINGS.decide.timeoutSeconds),
      environment: {
        EXPORT_QUEUE_URL: this.queues.exportQueue.queueUrl,
        REJECTS_QUEUE_URL: this.queues.rejectsQueue.queueUrl,
      },
    });
    this.export = new PipelineFunction(this, 'Export', {
      ...common,
      entry: entries.export,
      description: 'FIFO export queue -> PutRecords to the destination Kinesis streams',
      memorySize: PIPELINE_SETTINGS.export.memoryMb,
      timeout: seconds(PIPELINE_SETTINGS.export.timeoutSeconds),
      environment: {
        STATE_TABLE_NAME: this.stateTable.tableName,
        EXPORT_MAX_RECEIVE_COUNT: String(PIPELINE_SETTINGS.exportQueue.maxReceiveCount),
      },
    });
    // A fixed name lets the function's own policy name it without a reference to itself.
    const backfillName = `${this.stackName.slice(0, 55)}-backfill`;
    this.backfill = new PipelineFunction(this, 'Backfill', {
      ...common,
      entry: entries.backfill,
      functionName: backfillName,
      description: 'Historical backfill of newly mapped segments (started on deploy)',
      memorySize: BACKFILL_MEMORY_MB,
      timeout: BACKFILL_TIMEOUT,
      deadLetterQueue: this.queues.backfillFailuresQueue,
      environment: {
        PROFILE_TABLE_NAME: this.profileTable.tableName,
        STATE_TABLE_NAME: this.stateTable.tableName,
        EXPORT_QUEUE_URL: this.queues.exportQueue.queueUrl,
      },
    });

    this.wireDecide();
    this.wireExport();
    this.wireBackfill(backfillName);

    if (this.streams.resolved.some((r) => !r.created)) {
      this.connectionCheck = new ConnectionCheck(this, 'ConnectionCheck', {
        ...common,
        entry: entries.connectionCheck,
        destinations: this.streams.resolved,
      });
    }
    this.backfillTrigger = new BackfillTrigger(this, 'BackfillTrigger', {
      destinations: config.destinations,
      backfillFunction: this.backfill.function,
      logKey: this.key,
    });
    if (this.connectionCheck !== undefined) {
      // No backfill into a stream the check has not found writable.
      this.backfillTrigger.node.addDependency(this.connectionCheck.resource);
    }

    this.alerts = new PipelineAlerts(this, 'Alerts', {
      key: this.key,
      emails: config.alerts?.emails ?? [],
      functions: {
        decide: this.decide.function,
        export: this.export.function,
        backfill: this.backfill.function,
      },
      exportQueue: this.queues.exportQueue,
      sinks: this.queues.sinks,
    });

    this.outputs();
    acknowledgeStackFindings(this);
  }

  /**
   * One customer-managed key for the queues (their messages are export documents: personal data),
   * the alert topic and the log groups. A customer-managed key is required for the latter two: CloudWatch alarms cannot publish to a topic under `aws/sns`, and
   * CloudWatch Logs has no AWS managed key. One key costs $1 a month.
   */
  private createPipelineKey(): kms.Key {
    const key = new kms.Key(this, 'PipelineKey', {
      description: 'kinesis-destination: queues, alert topic and logs',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    return key;
  }

  private createOrImportProfileTable(config: DestinationConfig): dynamodb.ITable {
    const settings = config.profileTable;
    if (settings?.streamArn !== undefined && settings.tableName !== undefined) {
      return dynamodb.Table.fromTableAttributes(this, 'ProfileTable', {
        tableName: settings.tableName,
        tableStreamArn: settings.streamArn,
      });
    }
    return new dynamodb.Table(this, 'ProfileTable', {
      ...(settings?.tableName === undefined ? {} : { tableName: settings.tableName }),
      partitionKey: { name: 'profileId', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS managed key (aws/dynamodb) rather than the pipeline key: every upstream writer in the
      // account can write without a grant on a key this stack owns, and the key's use is still
      // logged in CloudTrail. Import a table (profileTable.streamArn) to bring your own key.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // The system of record for profiles: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Stream → decide; decide may send to the export and rejects queues and nothing else. */
  private wireDecide(): void {
    const s = PIPELINE_SETTINGS.decide;
    const fn = this.decide.function;
    const failures = this.queues.decideFailuresQueue;
    fn.addEventSource(
      new DynamoEventSource(this.profileTable, {
        startingPosition: s.startingPosition as lambda.StartingPosition,
        batchSize: s.batchSize,
        maxBatchingWindow: seconds(s.maxBatchingWindowSeconds),
        bisectBatchOnError: s.bisectBatchOnError,
        retryAttempts: s.retryAttempts,
        maxRecordAge: seconds(s.maxRecordAgeSeconds),
        parallelizationFactor: s.parallelizationFactor,
        reportBatchItemFailures: true,
        // The mapping sends the failed batch's description with the function's role.
        onFailure: { bind: () => ({ destination: failures.queueArn }) },
      }),
    );
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
        maxConcurrency: s.maxConcurrency,
      }),
    );
    grantExportToDestinations(this.export.role, this.streams);
    this.grantStateTable(this.export);
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
        resources: [this.key.keyArn],
      }),
    );
  }

  private outputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ProfileTableName', this.profileTable.tableName, 'Profile table: upstream writers write here');
    out('StateTableName', this.stateTable.tableName, 'Delivery ledger, failure log, backfill checkpoints');
    out('ExportQueueUrl', this.queues.exportQueue.queueUrl, 'FIFO export queue');
    out('DeadLetterQueueUrl', this.queues.deadLetterQueue.queueUrl, "Export queue's dead-letter queue");
    out('RejectsQueueUrl', this.queues.rejectsQueue.queueUrl, 'Poison records and oversize payloads');
    out(
      'ExportRoleArn',
      this.export.role.roleArn,
      'Role that writes to the streams (trust it in cross-account roles)',
    );
    out('PipelineKeyArn', this.key.keyArn, 'KMS key of the queues, alert topic and logs');
    out('AlertTopicArn', this.alerts.topic.topicArn, 'Alert topic: subscribe more endpoints here');
    out('DashboardName', this.alerts.dashboard.dashboardName, 'CloudWatch dashboard of the flow');
  }
}

/**
 * The export role's rights on the destinations, as exact statements:
 * - `kinesis:ListStreams` on "*": the action has no resource type, so "*" is the only valid resource
 *   (Service Authorization Reference, Amazon Kinesis Data Streams:
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html);
 * - `kinesis:PutRecord`/`kinesis:PutRecords` on the ARNs of the streams written with this role only
 *   (tighter than the source page's `stream/*`), and `kms:GenerateDataKey` on their keys when they have one;
 * - cross-account destinations: `sts:AssumeRole` on their role, no Kinesis write here at all;
 * - access-key destinations: `secretsmanager:GetSecretValue` on their secret only.
 */
export function grantExportToDestinations(role: iam.IRole, streams: DestinationStreams): void {
  const resolved = streams.resolved;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'ListStreams', actions: ['kinesis:ListStreams'], resources: ['*'] }),
  );
  const direct = resolved.filter((r) => r.access.kind === 'direct');
  if (direct.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutToDestinationStreams',
        actions: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        resources: direct.map((r) => r.stream.streamArn),
      }),
    );
  }
  const keyArns = [...new Set(direct.flatMap((r) => (r.key === undefined ? [] : [r.key.keyArn])))];
  if (keyArns.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptStreamRecords',
        actions: ['kms:GenerateDataKey'],
        resources: keyArns,
      }),
    );
  }
  grantDestinationCredentials(role, resolved);
}
