import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { configPathFrom, loadConfigFile } from '../adapters/config-file.js';
import type { Destination, DestinationConfig } from '../core/config.js';
import { DEPLOYMENT_VARIABLE } from '../core/environment-variables.js';
import { UsageError } from '../core/errors.js';
import { STACK_OUTPUT, type StackOutputName, selectPipelineOutputs } from '../core/stack-outputs.js';
import { parseWholeFlag } from './flags.js';

/**
 * How a CLI command finds the deployment it operates (docs/ARCHITECTURE.md, "How the CLI finds a
 * deployment"): every resource from one place — the CloudFormation stack named by `--stack`, else the
 * environment variables, else the default stack — never some from each. `local up` prints all the
 * variables, so against the local stack no stack is read.
 */

/** The deployment's resources a command may need. */
export interface Deployment {
  readonly profileTableName: string;
  readonly stateTableName: string;
  readonly exportQueueUrl: string;
  readonly dlqUrl: string;
  readonly rejectsQueueUrl: string;
  readonly decideFailuresQueueUrl: string;
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
  decideFailuresQueueUrl: {
    env: DEPLOYMENT_VARIABLE.decideFailuresQueueUrl,
    output: STACK_OUTPUT.decideFailuresQueueUrl,
  },
};

/** The stack read when a variable is not set. */
export const DEFAULT_STACK_NAME = 'KinesisDestination';

/** Options of {@link resolveDeployment}. */
export interface ResolveDeploymentOptions {
  /** The resources the command needs; only these are resolved and required. */
  readonly need: readonly DeploymentResource[];
  /** The stack named by `--stack`: every resource then comes from its outputs. @default - none given */
  readonly stack?: string;
  /**
   * The pipeline of the stack, by its name, when the stack holds several (`--pipeline`).
   * @default - the stack's only pipeline
   */
  readonly pipeline?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default - a client from the SDK environment, created only when the stack is read */
  readonly cloudFormation?: CloudFormationClient;
}

/** Where a run's resources come from: one place, never a mix. */
export type DeploymentSource =
  | { readonly kind: 'environment' }
  | {
      readonly kind: 'stack';
      readonly stack: string;
      /** Deployment variables set in the environment that `--stack` overrides (the CLI says so). */
      readonly ignoredVariables: readonly string[];
    };

const setIn = (env: Readonly<Record<string, string | undefined>>, name: string) =>
  (env[name] ?? '').length > 0;

/**
 * The one source of a run's resources (pure):
 * - an explicit `--stack` wins: every resource from its outputs, whatever the environment holds (the
 *   deployment variables it overrides are listed, so the CLI can say they were not used);
 * - otherwise the environment, when it holds every needed variable;
 * - otherwise the default stack, when it holds none of the deployment variables;
 * - a mix — some deployment variables set, a needed one missing, which would come from a stack — is
 *   refused: one pipeline's queue with another's (`DLQ_URL` of staging, the export queue of prod) is
 *   how a redrive crosses pipelines.
 * @throws UsageError naming what would come from where and the two ways out.
 */
export function deploymentSourceOf(options: {
  readonly need: readonly DeploymentResource[];
  readonly stack?: string;
  readonly pipeline?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}): DeploymentSource {
  const { env, need } = options;
  if (options.pipeline !== undefined && options.stack === undefined) {
    throw new UsageError(
      `--pipeline ${options.pipeline} chooses one pipeline among a stack's outputs; pass --stack NAME too (the stack that holds it)`,
    );
  }
  const allVariables = Object.values(DEPLOYMENT_SOURCES).map((s) => s.env);
  const set = allVariables.filter((name) => setIn(env, name));
  if (options.stack !== undefined) {
    return { kind: 'stack', stack: options.stack, ignoredVariables: set };
  }
  const missing = need.filter((r) => !setIn(env, DEPLOYMENT_SOURCES[r].env));
  if (missing.length === 0) return { kind: 'environment' };
  if (set.length === 0) return { kind: 'stack', stack: DEFAULT_STACK_NAME, ignoredVariables: [] };
  const missingNames = missing.map((r) => DEPLOYMENT_SOURCES[r].env);
  const fromStack = missing.map(
    (r) => `${DEPLOYMENT_SOURCES[r].env} (output ${DEPLOYMENT_SOURCES[r].output})`,
  );
  throw new UsageError(
    `the deployment would come from two places: ${set.join(', ')} from the environment, ${fromStack.join(', ')} from stack "${DEFAULT_STACK_NAME}" — a run takes every resource from one place, so a queue of one pipeline is never used with another's. Either unset ${set.join(', ')} and pass --stack NAME (every resource from that stack's outputs), or set ${missingNames.join(', ')} too (\`local up\` prints all of them)`,
  );
}

/** A human line saying where the resources came from (stderr). */
export function describeDeploymentSource(source: DeploymentSource): string {
  if (source.kind === 'environment') return 'resources from the environment variables';
  const ignored =
    source.ignoredVariables.length === 0
      ? ''
      : `; ${source.ignoredVariables.join(', ')} set in the environment but not used (--stack wins)`;
  return `resources from the outputs of stack "${source.stack}"${ignored}`;
}

/** A resolved deployment and where it came from. */
export interface ResolvedDeployment<K extends DeploymentResource = DeploymentResource> {
  readonly deployment: Pick<Deployment, K>;
  readonly source: DeploymentSource;
}

/**
 * Resolves the resources a command needs from their one source ({@link deploymentSourceOf}): the
 * environment, or a stack's outputs (read once).
 * @throws UsageError for mixed sources, an unreadable stack, or an output the stack lacks.
 */
export async function resolveDeploymentFrom<K extends DeploymentResource>(
  options: ResolveDeploymentOptions & { readonly need: readonly K[] },
): Promise<ResolvedDeployment<K>> {
  const env = options.env ?? process.env;
  const source = deploymentSourceOf({
    need: options.need,
    env,
    ...(options.stack === undefined ? {} : { stack: options.stack }),
    ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
  });
  const resolved: Partial<Record<DeploymentResource, string>> = {};
  if (source.kind === 'environment') {
    for (const resource of options.need) resolved[resource] = env[DEPLOYMENT_SOURCES[resource].env] as string;
    return { deployment: resolved as Pick<Deployment, K>, source };
  }
  const { stack } = source;
  const names = options.need.map((r) => DEPLOYMENT_SOURCES[r].output).join(', ');
  let outputs: Map<string, string>;
  try {
    outputs = await readStackOutputs(stack, options.cloudFormation ?? new CloudFormationClient({}));
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new UsageError(
      `the outputs of stack "${stack}" (${names}) could not be read (${reason}); pass --stack with the deployed stack's name, or set every deployment variable instead (\`npm run cli -- local up\` prints them)`,
      { cause: error },
    );
  }
  // A stack may hold several pipelines, each with prefixed outputs (core/stack-outputs.ts).
  outputs = selectPipelineOutputs(outputs, options.pipeline, `stack "${stack}"`);
  const stillMissing: string[] = [];
  for (const resource of options.need) {
    const value = outputs.get(DEPLOYMENT_SOURCES[resource].output);
    if (value === undefined) stillMissing.push(DEPLOYMENT_SOURCES[resource].output);
    else resolved[resource] = value;
  }
  if (stillMissing.length > 0) {
    throw new UsageError(
      `stack "${stack}" has no output ${stillMissing.join(', ')}; pass --stack with the kinesis-destination stack's name`,
    );
  }
  return { deployment: resolved as Pick<Deployment, K>, source };
}

/**
 * The resources a command needs, from their one source (see {@link resolveDeploymentFrom}).
 * @throws UsageError as resolveDeploymentFrom.
 */
export async function resolveDeployment(options: ResolveDeploymentOptions): Promise<Partial<Deployment>> {
  return (await resolveDeploymentFrom(options)).deployment;
}

/**
 * Like {@link resolveDeployment}, typed for the resources asked for.
 * @throws UsageError as resolveDeployment.
 */
export async function requireDeployment<K extends DeploymentResource>(
  options: ResolveDeploymentOptions & { readonly need: readonly K[] },
): Promise<Pick<Deployment, K>> {
  return (await resolveDeploymentFrom(options)).deployment;
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
        `CloudFormation stack whose outputs give every resource, over any variables set (default: the variables, else ${DEFAULT_STACK_NAME})`,
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
 * Parses a positive whole-number flag (cli/flags.ts: digits only).
 * @throws UsageError naming the flag and the expected form.
 */
export function parsePositiveInt(value: string, flag: string, max?: number): number {
  return parseWholeFlag(value, flag, { min: 1, ...(max === undefined ? {} : { max }) });
}
