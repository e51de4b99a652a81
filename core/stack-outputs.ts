/**
 * A pipeline's CloudFormation outputs, declared once: the `KinesisDestination` construct writes them
 * (lib/pipeline-outputs.ts) — unprefixed in the default stack, `<prefix><name>` for a construct
 * elsewhere — and the CLI reads them when a variable is not set (cli/deployment.ts), choosing a
 * pipeline of the stack with {@link selectPipelineOutputs}. test/infra/stack-outputs.test.ts holds the
 * two together against the synthesized template; docs/ARCHITECTURE.md, "How the CLI finds a
 * deployment", is tested against it.
 */
import { UsageError } from './errors.js';

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
  decideFailuresQueueUrl: {
    name: 'DecideFailuresQueueUrl',
    description: "Decide mapping's on-failure queue: the stream ranges `decide replay` reads again",
  },
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
  /** The pipeline's name: how the CLI finds a pipeline among several in one stack (`--pipeline`). */
  pipelineName: {
    name: 'PipelineName',
    description: "The pipeline's name: its metrics' pipeline dimension, and the CLI's --pipeline",
  },
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

/** Output keys are alphanumeric (CloudFormation), at most 255 characters. */
const OUTPUT_KEY = /^[A-Za-z0-9]{1,255}$/;

/**
 * The key of a pipeline's output in its stack: `<prefix><name>` (`StagingExportQueueUrl`); the
 * name alone for the prefix `''` (the default stack).
 */
export function pipelineOutputKey(prefix: string, key: StackOutputKey): string {
  return `${prefix}${STACK_OUTPUTS[key].name}`;
}

/** Whether `prefix` makes valid output keys: letters and digits only (or empty). */
export function isOutputPrefix(prefix: string): boolean {
  return prefix === '' || OUTPUT_KEY.test(`${prefix}${STACK_OUTPUTS.connectionCheckRoleArn.name}`);
}

/** The default output prefix of a pipeline name: PascalCase (`staging-eu` → `StagingEu`). */
export function outputPrefixOf(pipelineName: string): string {
  return pipelineName
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
    .join('');
}

/** The pipelines a stack's outputs describe: each `…PipelineName` output's value, by its prefix. */
export function pipelinesInOutputs(outputs: ReadonlyMap<string, string>): Map<string, string> {
  const suffix = STACK_OUTPUTS.pipelineName.name;
  const found = new Map<string, string>();
  for (const [key, value] of outputs) {
    if (key.endsWith(suffix)) found.set(key.slice(0, key.length - suffix.length), value);
  }
  return found;
}

/**
 * One pipeline's outputs out of a stack's, by their unprefixed names (`ExportQueueUrl`, …): the
 * pipeline named `pipeline` (its `…PipelineName` output's value); without a name, the stack's only
 * pipeline, or — for a stack whose outputs name no pipeline (the default stack before outputs named
 * it) — the outputs as they are.
 * @throws UsageError when `pipeline` names no pipeline of the stack, or the stack holds several and
 *   none is named; the message lists the pipelines and the flag.
 */
export function selectPipelineOutputs(
  outputs: ReadonlyMap<string, string>,
  pipeline: string | undefined,
  stack = 'the stack',
): Map<string, string> {
  const pipelines = pipelinesInOutputs(outputs);
  const names = [...pipelines.values()];
  let prefix: string | undefined;
  if (pipeline !== undefined) {
    prefix = [...pipelines].find(([, name]) => name === pipeline)?.[0];
    if (prefix === undefined) {
      throw new UsageError(
        `${stack} has no pipeline "${pipeline}"${names.length === 0 ? ' (its outputs name no pipeline)' : `; it has ${names.join(', ')}`}: pass --pipeline with one of them, or --stack with the stack that holds "${pipeline}"`,
      );
    }
  } else if (pipelines.size === 1) {
    prefix = [...pipelines.keys()][0] as string;
  } else if (pipelines.size > 1) {
    throw new UsageError(
      `${stack} holds ${pipelines.size} pipelines (${names.join(', ')}): pass --pipeline <name> to choose one`,
    );
  }
  if (prefix === undefined || prefix === '') return new Map(outputs);
  const selected = new Map<string, string>();
  for (const [key, value] of outputs) {
    if (key.startsWith(prefix)) selected.set(key.slice(prefix.length), value);
  }
  return selected;
}
