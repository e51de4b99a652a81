import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { ConnectionCheck } from './connection-check.js';
import type { DestinationStreams } from './destination-streams.js';
import { type EgressNetwork, NETWORK_INTERFACE_ACTIONS } from './egress-network.js';
import type { PipelineFunction } from './pipeline-function.js';
import type { PipelineQueues } from './pipeline-queues.js';
import { AWS_CUSTOM_RESOURCE_FUNCTION_ID } from './redrive-allow-policy.js';

/** Runs the AWS Solutions and NIST 800-53 rev 5 packs as validation plugins on every synth. */
export function addNagPacks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new NIST80053R5Checks(scope));
}

/** The X-Ray actions of Lambda's active tracing: they have no resource type. */
const TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/**
 * The only actions each role may hold on Resource "*": those with no resource type in the Service
 * Authorization Reference. The IAM5[Resource::*] acknowledgement of a role covers exactly these; any
 * other "*" grant on the role fails synth ({@link guardWildcardGrants}).
 */
export const WILDCARD_ACTIONS = {
  decide: [...TRACING_ACTIONS, 'dynamodb:ListStreams'],
  export: [...TRACING_ACTIONS, 'kinesis:ListStreams'],
  backfill: [...TRACING_ACTIONS],
  connectionCheck: [...TRACING_ACTIONS],
} as const;

/**
 * Why each accepted finding is acceptable. One entry per rule, so a reviewer reads every exception
 * to the packs in one place; `acknowledgeFindings` applies them to the exact constructs.
 */
export const NAG_REASONS = {
  'AwsSolutions-IAM5[Resource::*]':
    'Only actions without resource-level permissions use "*": xray:PutTraceSegments and xray:PutTelemetryRecords (X-Ray tracing, every function), kinesis:ListStreams (the export role: the source page\'s permission check) and dynamodb:ListStreams (the decide role: Lambda\'s DynamoDB stream mapping); the Service Authorization Reference lists no resource type for them. Every other statement names its resources, and a validation fails synth when a role holds any other action on "*" (lib/nag.ts, WILDCARD_ACTIONS).',
  'AwsSolutions-IAM5[Resource::<function>:*]':
    'The CDK Provider framework may invoke only the connection-check handler; the ":*" suffix covers the versions and aliases of that one function.',
  'AwsSolutions-L1':
    "aws-cdk-lib's own deploy-time function (the custom-resource Provider framework, or the AwsCustomResource singleton): aws-cdk-lib chooses its runtime (determineLatestNodeRuntime), which can trail the newest Node.js runtime that aws-cdk-lib knows (2.278 knows nodejs26.x and deploys these on nodejs24.x) and has no setting for it; it moves forward with aws-cdk-lib upgrades. The pipeline's own functions run the newest runtime aws-cdk-lib knows (lib/pipeline-function.ts, pipelineRuntime) and are not acknowledged.",
  'AwsSolutions-SQS3':
    "This queue is itself a terminal dead-letter sink (poison stream records, or the decide mapping's on-failure destination). It is alarmed as soon as it holds a message and again before its retention ends; a further dead-letter queue would have nothing to catch.",
  'NIST.800.53.R5-IAMNoInlinePolicy':
    'Each policy is generated for exactly one role, with exact statements, and is created and deleted with that role. A customer-managed policy would add a reusable, separately attachable object without narrowing any permission; CDK grants (event sources, tracing, custom resources) also write to these policies.',
  'NIST.800.53.R5-IAMNoInlinePolicy[operator]':
    "The policy grantRedrive writes for an imported operator role: exact statements on this pipeline's dead-letter queue, export queue, state table, key and stack. It is created and deleted with the pipeline; a customer-managed policy would add a reusable, separately attachable object without narrowing any permission.",
  'NIST.800.53.R5-LambdaConcurrency':
    "Concurrency is bounded where the work comes from: the export mapping by ScalingConfig.MaximumConcurrency (pipeline settings), the decide function by the stream's shards x ParallelizationFactor, the backfill by the runs a deploy starts (each run is one chain of asynchronous invocations, the next started as the previous one ends), and the deploy-time functions by CloudFormation (one invocation per custom-resource event). Reserved concurrency would carve capacity out of the account pool, and on an SQS event source it causes throttled receives that count toward maxReceiveCount.",
  'NIST.800.53.R5-LambdaDLQ':
    'This function is not invoked asynchronously by a client whose event could be lost: the decide mapping has an SQS on-failure destination, the export queue has a redrive dead-letter queue, and the deploy-time functions report failure to CloudFormation, which rolls the deployment back.',
  'NIST.800.53.R5-LambdaInsideVPC':
    'The function calls only AWS regional service endpoints (DynamoDB, SQS, Kinesis, STS, Secrets Manager, IAM, CloudFormation) over TLS with SigV4, and reaches no private network resource; access is controlled by IAM. A VPC is optional, for the export function and the connection check only, when a customer allowlists source IPs (network.staticEgressIps): it adds NAT costs without reducing data exposure otherwise.',
  'AwsSolutions-KDS3':
    'The destination config names this customer-managed key (kmsKeyArn) for the stream; the customer requires it, and grants its consumers on it themselves.',
  'NIST.800.53.R5-VPCDefaultSecurityGroupClosed':
    "Nothing uses this VPC's default security group: the functions and the Kinesis endpoint have their own (HTTPS only). CloudFormation cannot remove the default group's rules; CDK does it with a custom resource Lambda, which would add a function and a role with a managed policy for a group that protects nothing here.",
  'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW':
    'The route of the public subnet that holds a NAT gateway: the NAT gateway reaches the internet through it, which is the purpose of the static egress IPs. Nothing else runs in these subnets (no public address is assigned on launch); the functions run in private subnets routed to the NAT gateways.',
  'NIST.800.53.R5-DynamoDBInBackupPlan':
    'Point-in-time recovery is on (continuous backups, restorable to any second of the last 35 days). An AWS Backup plan and vault are account-level choices (retention, cross-region copies, vault lock) for the account owner, not for this stack; a tag-based selection can include the tables (every resource carries the Application tag).',
} as const;

type RuleId = keyof typeof NAG_REASONS;

function acknowledge(scope: IConstruct | undefined, rule: RuleId, id: string = rule): void {
  if (scope === undefined) return;
  Validations.of(scope).acknowledge({ id, reason: NAG_REASONS[rule] });
}

/**
 * Acknowledges the inline-policy finding on a policy the construct itself created to grant an
 * operator (under an imported role); a role of the app keeps its own findings.
 */
export function acknowledgeOperatorPolicy(policy: IConstruct): void {
  acknowledge(policy, 'NIST.800.53.R5-IAMNoInlinePolicy[operator]', 'NIST.800.53.R5-IAMNoInlinePolicy');
}

/** The constructs whose findings {@link acknowledgeFindings} acknowledges: one pipeline's own. */
export interface NagTargets {
  /** The pipeline construct (its stack holds the `AwsCustomResource` singleton of the backfill trigger). */
  readonly scope: IConstruct;
  readonly functions: {
    readonly decide: PipelineFunction;
    readonly export: PipelineFunction;
    readonly backfill: PipelineFunction;
  };
  /** Functions invoked asynchronously, whose failures go to a dead-letter queue (the backfill). */
  readonly asyncFunctions: readonly PipelineFunction[];
  readonly connectionCheck: ConnectionCheck;
  /**
   * The backfill trigger, by the one part acknowledged: its role. (Not the `BackfillTrigger` type, whose
   * declarations reach the backfill function's and so Powertools' and `aws-lambda`'s types: this
   * module's declarations are part of the package's public ones.)
   */
  readonly backfillTrigger: { readonly role: IConstruct };
  /** The custom resource that sets the DLQ's RedriveAllowPolicy. */
  readonly redriveAllowPolicy: IConstruct;
  readonly streams: DestinationStreams;
  readonly queues: PipelineQueues;
  /** The tables the pipeline created (never a table the user brought). */
  readonly tables: readonly IConstruct[];
  /** network.staticEgressIps: the VPC, and the functions placed in it. */
  readonly network?: { readonly egress: EgressNetwork; readonly inVpc: readonly PipelineFunction[] };
}

/**
 * Acknowledges the findings this design accepts, on the constructs of one pipeline that raise them,
 * so the packs pass wherever the pipeline is added; the rest of the stack keeps every finding.
 */
export function acknowledgeFindings(targets: NagTargets): void {
  const check = targets.connectionCheck;
  const pipeline = Object.values(targets.functions);
  const asyncFunctions = new Set<IConstruct | undefined>(targets.asyncFunctions.map((f) => f.function));
  const inVpc = new Set<IConstruct | undefined>((targets.network?.inVpc ?? []).map((f) => f.function));
  const vpcRoles = new Set<IConstruct>((targets.network?.inVpc ?? []).map((f) => f.role));
  // aws-cdk-lib's own functions: it chooses their runtime.
  const cdkOwned = [
    check.provider.node.tryFindChild('framework-onEvent'),
    Stack.of(targets.scope).node.tryFindChild(AWS_CUSTOM_RESOURCE_FUNCTION_ID),
  ];
  for (const fn of cdkOwned) acknowledge(fn, 'AwsSolutions-L1');
  const functions = [...pipeline.map((f) => f.function), check.handler.function, ...cdkOwned];
  for (const fn of functions) {
    acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency');
    if (!inVpc.has(fn)) acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC');
    if (!asyncFunctions.has(fn)) acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ');
  }

  const roles = [
    ...pipeline.map((f) => f.role),
    check.handler.role,
    check.providerRole,
    targets.backfillTrigger.role,
  ];
  for (const role of roles) acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy');
  // The redrive-allow call's own policy (and its role, when it created the singleton).
  acknowledge(targets.redriveAllowPolicy, 'NIST.800.53.R5-IAMNoInlinePolicy');
  for (const [name, role] of [
    ['decide', targets.functions.decide.role],
    ['export', targets.functions.export.role],
    ['backfill', targets.functions.backfill.role],
    ['connectionCheck', check.handler.role],
  ] as const) {
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]');
    guardWildcardGrants(role, [
      ...WILDCARD_ACTIONS[name],
      ...(vpcRoles.has(role) ? NETWORK_INTERFACE_ACTIONS : []),
    ]);
  }
  if (targets.network !== undefined) acknowledgeNetwork(targets.network.egress);
  const handlerArn = Stack.of(targets.scope).getLogicalId(
    check.handler.function.node.defaultChild as CfnElement,
  );
  acknowledge(
    check.providerRole,
    'AwsSolutions-IAM5[Resource::<function>:*]',
    `AwsSolutions-IAM5[Resource::<${handlerArn}.Arn>:*]`,
  );

  for (const r of targets.streams.resolved) {
    if (r.created && r.key !== undefined) acknowledge(r.stream, 'AwsSolutions-KDS3');
  }
  acknowledge(targets.queues.rejectsQueue, 'AwsSolutions-SQS3');
  acknowledge(targets.queues.decideFailuresQueue, 'AwsSolutions-SQS3');
  for (const table of targets.tables) acknowledge(table, 'NIST.800.53.R5-DynamoDBInBackupPlan');
}

/**
 * Fails synth when `role` holds an action on Resource "*" beyond `allowed`: the IAM5[Resource::*]
 * acknowledgement covers the role as a whole, so without this a new wildcard grant would pass.
 */
export function guardWildcardGrants(role: iam.IRole, allowed: readonly string[]): void {
  role.node.addValidation({
    validate: () => {
      const extra = wildcardActionsOf(role).filter((a) => !allowed.includes(a));
      if (extra.length === 0) return [];
      return [
        `${role.node.path} holds ${[...new Set(extra)].join(', ')} on Resource "*": only ${allowed.join(', ')} may use "*" on this role (lib/nag.ts, WILDCARD_ACTIONS). Name the resources instead, or, for an action with no resource type, add it there with the reason.`,
      ];
    },
  });
}

/** The actions the role's policies allow on Resource "*". */
function wildcardActionsOf(role: iam.IRole): string[] {
  const policies = role.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy);
  const statements = policies.flatMap(
    (p) => (p.document.toJSON() as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ?? [],
  );
  return statements.flatMap((s) => {
    const resources = ([] as unknown[]).concat(s.Resource ?? []);
    if (s.Effect !== 'Allow' || !resources.includes('*')) return [];
    return ([] as unknown[]).concat(s.Action ?? []).map(String);
  });
}

/** The findings of the egress network's VPC (network.staticEgressIps). */
function acknowledgeNetwork(egress: EgressNetwork): void {
  acknowledge(egress.node.tryFindChild('Vpc'), 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed');
  for (const child of egress.node.children) {
    if (/^Public\d+DefaultRoute$/.test(child.node.id))
      acknowledge(child, 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW');
  }
  acknowledge(egress.node.tryFindChild('FlowLog'), 'NIST.800.53.R5-IAMNoInlinePolicy');
}
