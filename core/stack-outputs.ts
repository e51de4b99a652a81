/**
 * The default stack's CloudFormation outputs, declared once: the stack writes them
 * (lib/kinesis-destination-stack.ts) and the CLI reads them when a variable is not set
 * (cli/deployment.ts). test/infra/stack-outputs.test.ts holds the two together against the
 * synthesized template; docs/ARCHITECTURE.md, "How the CLI finds a deployment", is tested against it.
 */

/** One output: its key in the template (and in `DescribeStacks`) and its description there. */
export interface StackOutputSpec {
  readonly name: string;
  readonly description: string;
}

/** Every output of the default stack, by the key code refers to it with. */
export const STACK_OUTPUTS = {
  profileTableName: {
    name: 'ProfileTableName',
    description: 'Profile table: upstream writers write here',
  },
  stateTableName: {
    name: 'StateTableName',
    description: 'Delivery ledger, failure log, backfill checkpoints',
  },
  exportQueueUrl: { name: 'ExportQueueUrl', description: 'FIFO export queue' },
  deadLetterQueueUrl: { name: 'DeadLetterQueueUrl', description: "Export queue's dead-letter queue" },
  rejectsQueueUrl: { name: 'RejectsQueueUrl', description: 'Poison records and oversize payloads' },
  exportRoleArn: {
    name: 'ExportRoleArn',
    description: 'Role that writes to the streams (trust it in cross-account roles)',
  },
  connectionCheckRoleArn: {
    name: 'ConnectionCheckRoleArn',
    description: 'Role of the deploy-time connection check (trust it in cross-account roles too)',
  },
  pipelineKeyArn: { name: 'PipelineKeyArn', description: 'KMS key of the queues, alert topic and logs' },
  alertTopicArn: { name: 'AlertTopicArn', description: 'Alert topic: subscribe more endpoints here' },
  dashboardName: { name: 'DashboardName', description: 'CloudWatch dashboard of the flow' },
  /** Only with static egress (`network.staticEgress`). */
  staticEgressIps: {
    name: 'StaticEgressIps',
    description:
      "The addresses the export function and the connection check reach the streams from: the customer's aws:SourceIp allowlist",
  },
  /** Only with static egress and a Kinesis VPC endpoint. */
  kinesisVpcEndpointId: {
    name: 'KinesisVpcEndpointId',
    description:
      "Kinesis requests in this region go through this endpoint: the customer's aws:SourceVpce allowlist",
  },
} as const satisfies Readonly<Record<string, StackOutputSpec>>;

/** The key of an output in {@link STACK_OUTPUTS}. */
export type StackOutputKey = keyof typeof STACK_OUTPUTS;

/** An output's name in the template: only the names declared in {@link STACK_OUTPUTS}. */
export type StackOutputName = (typeof STACK_OUTPUTS)[StackOutputKey]['name'];

/** Each output's name by its key: `STACK_OUTPUT.deadLetterQueueUrl` is `'DeadLetterQueueUrl'`. */
export const STACK_OUTPUT: { readonly [K in StackOutputKey]: (typeof STACK_OUTPUTS)[K]['name'] } =
  Object.freeze(
    Object.fromEntries(Object.entries(STACK_OUTPUTS).map(([key, spec]) => [key, spec.name])) as {
      readonly [K in StackOutputKey]: (typeof STACK_OUTPUTS)[K]['name'];
    },
  );
