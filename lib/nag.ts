import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { BackfillTrigger } from './backfill-trigger.js';
import type { ConnectionCheck } from './connection-check.js';
import type { DestinationStreams } from './destination-streams.js';
import type { PipelineFunction } from './pipeline-function.js';
import type { PipelineQueues } from './pipeline-queues.js';

/** Runs the AWS Solutions and NIST 800-53 rev 5 packs as validation plugins on every synth. */
export function addNagPacks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new NIST80053R5Checks(scope));
}

/**
 * Why each accepted finding is acceptable. One entry per rule, so a reviewer reads every exception
 * to the packs in one place; `acknowledgeStackFindings` applies them to the exact constructs.
 */
export const NAG_REASONS = {
  'AwsSolutions-IAM5[Resource::*]':
    'Only actions without resource-level permissions use "*": xray:PutTraceSegments and xray:PutTelemetryRecords (X-Ray tracing), kinesis:ListStreams (the source page\'s permission check) and dynamodb:ListStreams (Lambda\'s DynamoDB stream mapping); the Service Authorization Reference lists no resource type for them. Every other statement names its resources.',
  'AwsSolutions-IAM5[Resource::<function>:*]':
    'The CDK Provider framework may invoke only the connection-check handler; the ":*" suffix covers the versions and aliases of that one function.',
  'AwsSolutions-SQS3':
    "This queue is itself a terminal dead-letter sink (poison stream records, or the decide mapping's on-failure destination). It is alarmed as soon as it holds a message; a further dead-letter queue would have nothing to catch.",
  'NIST.800.53.R5-IAMNoInlinePolicy':
    'Each policy is generated for exactly one role, with exact statements, and is created and deleted with that role. A customer-managed policy would add a reusable, separately attachable object without narrowing any permission; CDK grants (event sources, tracing) also write to this policy.',
  'NIST.800.53.R5-LambdaConcurrency':
    'Concurrency is bounded at the source: the export mapping by ScalingConfig.MaximumConcurrency (pipeline settings), the decide function by shards x parallelizationFactor, the backfill by its scan segments, the deploy-time functions by CloudFormation. Reserved concurrency would carve capacity out of the account pool, and on an SQS event source it causes throttled receives that count toward maxReceiveCount.',
  'NIST.800.53.R5-LambdaDLQ':
    'This function is not invoked asynchronously by a client whose event could be lost: the decide mapping has an SQS on-failure destination, the export queue has a redrive dead-letter queue, and the deploy-time functions report failure to CloudFormation, which rolls the deployment back.',
  'NIST.800.53.R5-LambdaInsideVPC':
    'The function calls only AWS regional service endpoints (DynamoDB, SQS, Kinesis, STS, Secrets Manager) over TLS with SigV4, and reaches no private network resource. Access is controlled by IAM; a VPC would add NAT or interface-endpoint costs without reducing data exposure.',
  'AwsSolutions-KDS3':
    'The destination config names this customer-managed key (kmsKeyArn) for the stream; the customer requires it, and grants its consumers on it themselves.',
  'NIST.800.53.R5-DynamoDBInBackupPlan':
    'Point-in-time recovery (35 days of continuous backups) is enabled. The profile table is retained with deletion protection; the state table holds only expiring bookkeeping. Accounts with an organization AWS Backup policy include the tables by tag.',
} as const;

type RuleId = keyof typeof NAG_REASONS;

function acknowledge(scope: IConstruct | undefined, rule: RuleId, id: string = rule): void {
  if (scope === undefined) return;
  Validations.of(scope).acknowledge({ id, reason: NAG_REASONS[rule] });
}

/** The id of the singleton function behind every `AwsCustomResource` (aws-cdk-lib). */
const AWS_CUSTOM_RESOURCE_FUNCTION_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** The constructs whose findings {@link acknowledgeFindings} acknowledges: one pipeline's own. */
export interface NagTargets {
  /** The pipeline construct (its stack holds the `AwsCustomResource` singleton of the backfill trigger). */
  readonly scope: IConstruct;
  /** decide, export, backfill. */
  readonly pipelineFunctions: readonly PipelineFunction[];
  /** Functions invoked asynchronously, whose failures go to a dead-letter queue (the backfill). */
  readonly asyncFunctions: readonly PipelineFunction[];
  readonly connectionCheck?: ConnectionCheck;
  readonly backfillTrigger: BackfillTrigger;
  readonly streams: DestinationStreams;
  readonly queues: PipelineQueues;
  /** The tables the pipeline created (never a table the user brought). */
  readonly tables: readonly IConstruct[];
}

/**
 * Acknowledges the findings this design accepts, on the constructs of one pipeline that raise them,
 * so the packs pass wherever the pipeline is added; the rest of the stack keeps every finding.
 */
export function acknowledgeFindings(targets: NagTargets): void {
  const check = targets.connectionCheck;
  const asyncFunctions = new Set<IConstruct | undefined>(targets.asyncFunctions.map((f) => f.function));
  const functions = [
    ...targets.pipelineFunctions.map((f) => f.function),
    check?.handler.function,
    check?.provider.node.tryFindChild('framework-onEvent'),
    Stack.of(targets.scope).node.tryFindChild(AWS_CUSTOM_RESOURCE_FUNCTION_ID),
  ];
  for (const fn of functions) {
    acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency');
    acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC');
    if (!asyncFunctions.has(fn)) acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ');
  }

  const roles = [
    ...targets.pipelineFunctions.map((f) => f.role),
    check?.handler.role,
    check?.providerRole,
    targets.backfillTrigger.role,
  ];
  for (const role of roles) acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy');
  for (const role of [...targets.pipelineFunctions.map((f) => f.role), check?.handler.role]) {
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]');
  }
  if (check !== undefined) {
    const handlerArn = Stack.of(targets.scope).getLogicalId(
      check.handler.function.node.defaultChild as CfnElement,
    );
    acknowledge(
      check.providerRole,
      'AwsSolutions-IAM5[Resource::<function>:*]',
      `AwsSolutions-IAM5[Resource::<${handlerArn}.Arn>:*]`,
    );
  }

  for (const r of targets.streams.resolved) {
    if (r.created && r.key !== undefined) acknowledge(r.stream, 'AwsSolutions-KDS3');
  }
  acknowledge(targets.queues.rejectsQueue, 'AwsSolutions-SQS3');
  acknowledge(targets.queues.decideFailuresQueue, 'AwsSolutions-SQS3');
  for (const table of targets.tables) acknowledge(table, 'NIST.800.53.R5-DynamoDBInBackupPlan');
}
