import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { PIPELINE_SETTINGS, UNTIL_RECORD_EXPIRES } from '../core/pipeline-settings.js';
import { type DestinationStreams, grantExportToDestinations } from './destination-streams.js';
import { mappingSettingsOf } from './mapping-settings.js';
import { PipelineFunction, seconds } from './pipeline-function.js';
import type { PipelineQueues } from './pipeline-queues.js';

/**
 * The pipeline's event sources and the exact rights of its functions (docs/ARCHITECTURE.md, "Flow"):
 * profile stream → decide → export queue → export → streams; the backfill scans the profile table and
 * queues exports.
 */

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

/** What the wiring connects. */
export interface PipelineParts {
  /** The construct: its config and mapping settings. */
  readonly scope: Construct & { readonly config: DestinationConfig };
  readonly decide: PipelineFunction;
  readonly export: PipelineFunction;
  readonly backfill: PipelineFunction;
  readonly queues: PipelineQueues;
  readonly streams: DestinationStreams;
  readonly profileTable: dynamodb.ITable;
  readonly stateTable: dynamodb.ITable;
  readonly encryptionKey: kms.IKey;
}

/** Wires every function: event sources and rights. */
export function wirePipeline(parts: PipelineParts, backfillName: string): void {
  wireDecide(parts);
  wireExport(parts);
  wireBackfill(parts, backfillName);
  grantProfileTableKey(parts);
}

/**
 * A profile table under a customer-managed key (an existing table with its key, or
 * profileTableProps.encryption): decide reads its stream and the backfill scans it, so both may
 * kms:Decrypt with that key — and nothing else with it.
 */
function grantProfileTableKey(parts: PipelineParts): void {
  const key = parts.profileTable.encryptionKey;
  if (key === undefined) return;
  for (const fn of [parts.decide, parts.backfill]) key.grantDecrypt(fn.role);
}

/** The profile table's stream, as the event source sees it: no key, so no key grant. */
function profileStreamView(parts: PipelineParts): dynamodb.ITable {
  const table = parts.profileTable;
  if (table.encryptionKey === undefined) return table;
  return dynamodb.Table.fromTableAttributes(parts.scope, 'ProfileStream', {
    tableArn: table.tableArn,
    ...(table.tableStreamArn === undefined ? {} : { tableStreamArn: table.tableStreamArn }),
  });
}

/** Stream → decide; decide may send to the export and rejects queues and nothing else. */
function wireDecide(parts: PipelineParts): void {
  const s = PIPELINE_SETTINGS.decide;
  const failures = parts.queues.decideFailuresQueue;
  const fn = parts.decide.function;
  fn.addEventSource(
    // The stream without the table's key: CDK's stream grant would add kms:Decrypt and
    // kms:DescribeKey; grantProfileTableKey gives exactly kms:Decrypt, to decide and the backfill.
    new DynamoEventSource(profileStreamView(parts), {
      startingPosition: s.startingPosition as lambda.StartingPosition,
      batchSize: s.batchSize,
      maxBatchingWindow: seconds(s.maxBatchingWindowSeconds),
      bisectBatchOnError: s.bisectBatchOnError,
      retryAttempts: s.retryAttempts,
      // Unset: -1, "until the record expires" (written explicitly below; CDK takes only 60 s–7 days).
      ...(s.maxRecordAgeSeconds === UNTIL_RECORD_EXPIRES
        ? {}
        : { maxRecordAge: seconds(s.maxRecordAgeSeconds) }),
      parallelizationFactor: mappingSettingsOf(parts.scope).parallelizationFactor,
      reportBatchItemFailures: true,
      // The mapping sends the failed batch's description with the function's role.
      onFailure: { bind: () => ({ destination: failures.queueArn }) },
    }),
  );
  if (s.maxRecordAgeSeconds === UNTIL_RECORD_EXPIRES) {
    // CloudFormation's default too, written so the template says it (settings-drift.test.ts).
    const mapping = fn.node
      .findAll()
      .find((c): c is lambda.CfnEventSourceMapping => c instanceof lambda.CfnEventSourceMapping);
    mapping?.addPropertyOverride('MaximumRecordAgeInSeconds', UNTIL_RECORD_EXPIRES);
  }
  sendTo(parts, parts.decide, 'SendToQueues', [
    parts.queues.exportQueue,
    parts.queues.rejectsQueue,
    failures,
  ]);
}

/** Export queue → export; exactly the source page's three Kinesis actions. */
function wireExport(parts: PipelineParts): void {
  const s = PIPELINE_SETTINGS.export;
  if (s.maxBatchingWindowSeconds !== 0) {
    throw new Error(
      'export.maxBatchingWindowSeconds must be 0: Lambda has no batching window for FIFO queues',
    );
  }
  parts.export.function.addEventSource(
    new SqsEventSource(parts.queues.exportQueue, {
      batchSize: s.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: mappingSettingsOf(parts.scope).maxConcurrency,
    }),
  );
  grantExportToDestinations(parts.export.role, parts.streams);
  grantStateTable(parts, parts.export);
  // On a message's last attempt the function moves it to the DLQ itself, with its failure attached.
  sendTo(parts, parts.export, 'MoveToDeadLetterQueue', [parts.queues.deadLetterQueue]);
}

function wireBackfill(parts: PipelineParts, functionName: string): void {
  const role = parts.backfill.role;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ScanProfiles',
      // DescribeTable: the item count for progress, and the read capacity the backfill may use a share of.
      actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'],
      resources: [parts.profileTable.tableArn],
    }),
  );
  grantStateTable(parts, parts.backfill);
  sendTo(parts, parts.backfill, 'SendExports', [parts.queues.exportQueue]);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ContinueOwnScan',
      actions: ['lambda:InvokeFunction'],
      resources: [PipelineFunction.arnForName(parts.scope, functionName)],
    }),
  );
}

/** Reads and writes of the state table; an adopted table under a customer-managed key needs that key too. */
function grantStateTable(parts: PipelineParts, fn: PipelineFunction): void {
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadWriteState',
      actions: STATE_TABLE_ACTIONS,
      resources: [parts.stateTable.tableArn],
    }),
  );
  parts.stateTable.encryptionKey?.grantEncryptDecrypt(fn.role);
}

function sendTo(
  parts: PipelineParts,
  fn: PipelineFunction,
  sid: string,
  queues: readonly sqs.IQueue[],
): void {
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
      resources: [parts.encryptionKey.keyArn],
    }),
  );
}
