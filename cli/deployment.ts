import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { configPathFrom, loadConfigFile } from '../adapters/config-file.js';
import type { Destination, DestinationConfig } from '../core/config.js';
import { DEPLOYMENT_VARIABLE } from '../core/environment-variables.js';
import { UsageError } from '../core/errors.js';
import { STACK_OUTPUT, type StackOutputName, selectPipelineOutputs } from '../core/stack-outputs.js';

/**
 * How a CLI command finds the deployment it operates (docs/ARCHITECTURE.md, "How the CLI finds a
 * deployment"): each resource from its environment variable, else from the CloudFormation stack's
 * outputs. `local up` prints all the variables, so against the local stack no stack is read.
 */

/** The deployment's resources a command may need. */
export interface Deployment {
  readonly profileTableName: string;
  readonly stateTableName: string;
  readonly exportQueueUrl: string;
  readonly dlqUrl: string;
  readonly rejectsQueueUrl: string;
}

export type DeploymentResource = keyof Deployment;

/**
 * Each resource's environment variable and the stack output (core/stack-outputs.ts) read when the
 * variable is not set.
 */
export const DEPLOYMENT_SOURCES: Readonly<
  Record<DeploymentResource, { readonly env: string; readonly output: StackOutputName }>
> = {
  profileTableName: { env: DEPLOYMENT_VARIABLE.profileTableName, output: STACK_OUTPUT.profileTableName },
  stateTableName: { env: DEPLOYMENT_VARIABLE.stateTableName, output: STACK_OUTPUT.stateTableName },
  exportQueueUrl: { env: DEPLOYMENT_VARIABLE.exportQueueUrl, output: STACK_OUTPUT.exportQueueUrl },
  dlqUrl: { env: DEPLOYMENT_VARIABLE.dlqUrl, output: STACK_OUTPUT.deadLetterQueueUrl },
  rejectsQueueUrl: { env: DEPLOYMENT_VARIABLE.rejectsQueueUrl, output: STACK_OUTPUT.rejectsQueueUrl },
};

/** The stack read when a variable is not set. */
export const DEFAULT_STACK_NAME = 'KinesisDestination';

/** Options of {@link resolveDeployment}. */
export interface ResolveDeploymentOptions {
  /** The resources the command needs; only these are resolved and required. */
  readonly need: readonly DeploymentResource[];
  /** @default DEFAULT_STACK_NAME */
  readonly stack?: string;
  /**
   * The pipeline of the stack, by its name, when the stack holds several (`--pipeline`).
   * @default - the stack's only pipeline
   */
  readonly pipeline?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default - a client from the SDK environment, created only when a variable is missing */
  readonly cloudFormation?: CloudFormationClient;
}

/**
 * Resolves the resources a command needs: environment first, then the stack's outputs (read once,
 * only when a needed variable is missing).
 * @throws UsageError naming the missing variables and the stack that could not supply them.
 */
export async function resolveDeployment(options: ResolveDeploymentOptions): Promise<Partial<Deployment>> {
  const env = options.env ?? process.env;
  const stack = options.stack ?? DEFAULT_STACK_NAME;
  const resolved: Partial<Record<DeploymentResource, string>> = {};
  const missing: DeploymentResource[] = [];
  for (const resource of options.need) {
    const value = env[DEPLOYMENT_SOURCES[resource].env];
    if (value !== undefined && value.length > 0) resolved[resource] = value;
    else missing.push(resource);
  }
  if (missing.length === 0) return resolved;

  const names = missing.map((r) => DEPLOYMENT_SOURCES[r].env).join(', ');
  let outputs: Map<string, string>;
  try {
    outputs = await readStackOutputs(stack, options.cloudFormation ?? new CloudFormationClient({}));
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new UsageError(
      `${names} not set, and the outputs of stack "${stack}" could not be read (${reason}); set the variables (\`npm run cli -- local up\` prints them) or pass --stack with the deployed stack's name`,
      { cause: error },
    );
  }
  // A stack may hold several pipelines, each with prefixed outputs (core/stack-outputs.ts).
  outputs = selectPipelineOutputs(outputs, options.pipeline, `stack "${stack}"`);
  const stillMissing: string[] = [];
  for (const resource of missing) {
    const value = outputs.get(DEPLOYMENT_SOURCES[resource].output);
    if (value === undefined) stillMissing.push(DEPLOYMENT_SOURCES[resource].output);
    else resolved[resource] = value;
  }
  if (stillMissing.length > 0) {
    throw new UsageError(
      `${names} not set, and stack "${stack}" has no output ${stillMissing.join(', ')}; set the variables or pass --stack with the kinesis-destination stack's name`,
    );
  }
  return resolved;
}

/**
 * Like {@link resolveDeployment}, typed for the resources asked for.
 * @throws UsageError as resolveDeployment.
 */
export async function requireDeployment<K extends DeploymentResource>(
  options: ResolveDeploymentOptions & { readonly need: readonly K[] },
): Promise<Pick<Deployment, K>> {
  return (await resolveDeployment(options)) as Pick<Deployment, K>;
}

async function readStackOutputs(stack: string, client: CloudFormationClient): Promise<Map<string, string>> {
  const response = await client.send(new DescribeStacksCommand({ StackName: stack }));
  const outputs = new Map<string, string>();
  for (const o of response.Stacks?.[0]?.Outputs ?? []) {
    if (o.OutputKey !== undefined && o.OutputValue !== undefined) outputs.set(o.OutputKey, o.OutputValue);
  }
  return outputs;
}

/** The options every deployment-aware command takes. */
export interface DeploymentCommandOptions {
  readonly stack?: string;
  readonly pipeline?: string;
  readonly config?: string;
}

/** Adds `--config` to a command. */
export function withConfigOption(command: Command): Command {
  return command.option(
    '--config <file>',
    'destination config (default: $KD_CONFIG, else examples/config.json)',
  );
}

/** Adds `--stack`, `--pipeline` and `--config` to a command. */
export function withDeploymentOptions(command: Command): Command {
  return withConfigOption(
    command
      .option(
        '--stack <name>',
        `CloudFormation stack whose outputs fill unset variables (default: ${DEFAULT_STACK_NAME})`,
      )
      .option(
        '--pipeline <name>',
        "the pipeline of the stack (its pipelineName), when the stack holds several (default: the stack's only one)",
      ),
  );
}

/** The `stack` and `pipeline` of a command's flags, for {@link resolveDeployment}. */
export function deploymentTarget(
  flags: DeploymentCommandOptions,
): Pick<ResolveDeploymentOptions, 'stack' | 'pipeline'> {
  return {
    ...(flags.stack === undefined ? {} : { stack: flags.stack }),
    ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }),
  };
}

/**
 * Reads the destination config named by `--config`, `KD_CONFIG` or the default path.
 * @throws UsageError or ConfigError (the CLI prints the message and exits with code 2).
 */
export function loadCommandConfig(flag: string | undefined): DestinationConfig {
  return loadConfigFile(configPathFrom(flag));
}

/**
 * The destination with this id.
 * @throws UsageError listing the configured ids.
 */
export function findDestination(config: DestinationConfig, id: string): Destination {
  const destination = config.destinations.find((d) => d.id === id);
  if (destination === undefined) {
    throw new UsageError(
      `no destination "${id}" in the config; configured: ${config.destinations.map((d) => d.id).join(', ')}`,
    );
  }
  return destination;
}

/**
 * The destinations a command works on: the one named by `--destination`, else all.
 * @throws UsageError for an unknown id.
 */
export function selectDestinations(config: DestinationConfig, id: string | undefined): Destination[] {
  return id === undefined ? [...config.destinations] : [findDestination(config, id)];
}

/**
 * Parses a positive whole-number flag.
 * @throws UsageError naming the flag.
 */
export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number ≥ 1, got "${value}"`);
  return n;
}
