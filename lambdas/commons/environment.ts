import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type CompiledConfig, compileConfig } from '../../core/compiled-config.js';
import { type DestinationConfig, parseConfig } from '../../core/config.js';
import { VARIABLE } from '../../core/environment-variables.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../core/metric-names.js';
import { formatZodIssues } from '../../core/zod-issues.js';
import { EnvironmentError } from './errors.js';

/**
 * The functions' environment (docs/ARCHITECTURE.md, "Environment variables of the functions").
 * Every variable name is spelled once, in core/environment-variables.ts; each function's
 * `environment.ts` is its list of variables and one {@link defineEnvironment} call, whose reader the
 * handler calls at cold start and whose builder the CDK construct (`lib/`) and the local stack
 * (`local/`) set the variables with.
 */

/** Variable names; and the service name and metrics namespace, declared with the metric names. */
export { METRICS_NAMESPACE, SERVICE_NAME, VARIABLE };

/**
 * Where a deployed function finds its destination config: the file the construct's config layer
 * holds (`lib/config-layer.ts`), under `/opt`, where Lambda extracts a function's layers.
 */
export const CONFIG_LAYER_FILE = { directory: 'kinesis-destination', name: 'config.json' } as const;

/** The config file a deployed function reads unless `KD_CONFIG_JSON` or `KD_CONFIG_JSON_PATH` is set. */
export const DEFAULT_CONFIG_JSON_PATH = `/opt/${CONFIG_LAYER_FILE.directory}/${CONFIG_LAYER_FILE.name}`;

/** The config as an environment variable, for a runtime that does not bundle (the local stack). */
export function configEnvironment(configJson: string): Record<string, string> {
  return { [VARIABLE.configJson]: configJson };
}

/**
 * Validates the variables a function needs, at cold start.
 * @throws EnvironmentError naming each missing or malformed variable.
 */
export function readEnvironment<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    throw new EnvironmentError(
      `invalid function environment:\n  - ${formatZodIssues(result.error).join('\n  - ')}`,
    );
  }
  return result.data;
}

/** One variable of a function's environment: its name and the schema of its value. */
export interface VariableSpec {
  readonly name: string;
  readonly schema: z.ZodType;
}

/** The values of an environment, by key. */
export type EnvironmentValues<S extends Readonly<Record<string, VariableSpec>>> = {
  readonly [K in keyof S]: z.output<S[K]['schema']>;
};

/**
 * The arguments of {@link FunctionEnvironment.build}: the values, optional when the function has no
 * variable without a default (the connection check).
 */
export type BuildArguments<S extends Readonly<Record<string, VariableSpec>>> =
  Record<never, never> extends EnvironmentValues<S>
    ? [values?: EnvironmentValues<S>]
    : [values: EnvironmentValues<S>];

/**
 * A function's environment: its variables' names, schema, reader and builder. The members are plain
 * functions and values (no `this`), so an `environment.ts` exports them by destructuring.
 */
export interface FunctionEnvironment<S extends Readonly<Record<string, VariableSpec>>> {
  /** Variable names by key. */
  readonly names: { readonly [K in keyof S]: S[K]['name'] };
  /** The schema of `process.env`. */
  readonly schema: z.ZodObject<Record<string, z.ZodType>>;
  /**
   * Reads and validates the variables, at cold start.
   * @throws EnvironmentError naming each missing or malformed variable.
   */
  readonly read: (env?: NodeJS.ProcessEnv) => EnvironmentValues<S>;
  /** The variables holding `values`, for a CDK function's or the local runtime's environment. */
  readonly build: (...values: BuildArguments<S>) => Record<string, string>;
}

/** The values a {@link FunctionEnvironment} reads. */
export type EnvironmentOf<E extends { readonly read: (env?: NodeJS.ProcessEnv) => object }> = ReturnType<
  E['read']
>;

/**
 * Defines a function's environment from its variables (names from {@link VARIABLE}): the one helper
 * every `lambdas/<function>/environment.ts` calls.
 */
export function defineEnvironment<const S extends Readonly<Record<string, VariableSpec>>>(
  variables: S,
): FunctionEnvironment<S> {
  const entries = Object.entries(variables);
  const schema = z.object(Object.fromEntries(entries.map(([, v]) => [v.name, v.schema])));
  const byKey = <T>(value: (spec: VariableSpec) => T) =>
    Object.fromEntries(entries.map(([key, spec]) => [key, value(spec)]));
  return {
    // Both mapped types hold exactly the keys of `variables`, which `byKey` copies.
    names: byKey((spec) => spec.name) as FunctionEnvironment<S>['names'],
    schema,
    read: (env = process.env) => {
      const parsed: Record<string, unknown> = readEnvironment(schema.shape, env);
      return byKey((spec) => parsed[spec.name]) as EnvironmentValues<S>;
    },
    build: (...[values]) => {
      const given: Readonly<Record<string, unknown>> = values ?? {};
      return Object.fromEntries(entries.map(([key, spec]) => [spec.name, String(given[key])]));
    },
  };
}

const COMMON_VARIABLES = {
  serviceName: { name: VARIABLE.serviceName, schema: z.string().default(SERVICE_NAME) },
  metricsNamespace: { name: VARIABLE.metricsNamespace, schema: z.string().default(METRICS_NAMESPACE) },
  /** The `pipeline` dimension of every metric; absent (the local stack): no such dimension. */
  pipelineName: { name: VARIABLE.pipelineName, schema: z.string().min(1).optional() },
};
const common = defineEnvironment(COMMON_VARIABLES);

/** The variables every function reads: the Powertools service name and metrics namespace, the pipeline's name. */
export type CommonEnvironment = EnvironmentValues<typeof COMMON_VARIABLES>;

/** Reads the variables every function reads (defaults: {@link SERVICE_NAME}, {@link METRICS_NAMESPACE}). */
export function readCommonEnvironment(env: NodeJS.ProcessEnv = process.env): CommonEnvironment {
  return common.read(env);
}

/**
 * The variables every function gets: `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE` and,
 * for a deployed pipeline, `KD_PIPELINE_NAME` (its metrics' `pipeline` dimension).
 */
export function commonEnvironment(options: { readonly pipelineName?: string } = {}): Record<string, string> {
  const variables = common.build({
    serviceName: SERVICE_NAME,
    metricsNamespace: METRICS_NAMESPACE,
    pipelineName: options.pipelineName,
  });
  // build() writes every variable; an unset one is left out rather than set to "undefined".
  if (options.pipelineName === undefined) delete variables[VARIABLE.pipelineName];
  return variables;
}

/** The destination config and its compiled form. */
export interface LoadedConfig {
  readonly config: DestinationConfig;
  readonly compiled: CompiledConfig;
}

/** Where {@link loadFunctionConfig} reads from: the environment and a file reader (tests inject both). */
export interface ConfigSources {
  readonly env?: NodeJS.ProcessEnv;
  readonly readFile?: (path: string) => string;
}

/**
 * Loads the destination config of a function, at cold start: `KD_CONFIG_JSON` when set (the local
 * runtime), else the file `KD_CONFIG_JSON_PATH` names, else {@link DEFAULT_CONFIG_JSON_PATH} (the
 * config layer the construct attaches); then merges `KD_CONFIG_OVERRIDES` over its destinations
 * and validates the result.
 * @throws EnvironmentError when the config is absent, unreadable or not JSON, or the overrides are
 *   malformed; ConfigError (the engine's message) when the config is invalid.
 */
export function loadFunctionConfig(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const { json, label } = configJsonOf(env, sources.readFile ?? ((path) => readFileSync(path, 'utf8')));
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new EnvironmentError(
      `${label} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const config = parseConfig(withOverrides(parsed, env[VARIABLE.configOverrides]), label);
  return { config, compiled: compileConfig(config) };
}

/** The config JSON and what it came from, for messages. */
function configJsonOf(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): { json: string; label: string } {
  const inline = env[VARIABLE.configJson];
  if (inline !== undefined && inline.length > 0) return { json: inline, label: VARIABLE.configJson };
  const path = env[VARIABLE.configJsonPath] || DEFAULT_CONFIG_JSON_PATH;
  try {
    return { json: readFile(path), label: path };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EnvironmentError(
      `the destination config is missing: ${VARIABLE.configJson} is not set and ${path} cannot be read (${reason}). On AWS the KinesisDestination construct attaches the layer that holds ${DEFAULT_CONFIG_JSON_PATH}: deploy the function with the construct; elsewhere set ${VARIABLE.configJson} to the config JSON or ${VARIABLE.configJsonPath} to a file holding it`,
      { cause: error },
    );
  }
}

const overridesSchema = z
  .object({ destinations: z.record(z.string(), z.record(z.string(), z.unknown())) })
  .strict();

/**
 * The raw config with `KD_CONFIG_OVERRIDES` merged over its destinations, field by field (a
 * destination's other fields stay the file's). Validation follows, on the merged config.
 * @throws EnvironmentError when the overrides are not JSON, not of the documented shape, or name a
 *   destination the config does not have.
 */
export function withOverrides(config: unknown, overridesJson: string | undefined): unknown {
  if (overridesJson === undefined || overridesJson.length === 0) return config;
  const name = VARIABLE.configOverrides;
  let raw: unknown;
  try {
    raw = JSON.parse(overridesJson);
  } catch (error) {
    throw new EnvironmentError(`${name} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = overridesSchema.safeParse(raw);
  if (!result.success) {
    throw new EnvironmentError(
      `${name} must be {"destinations":{"<destination id>":{"<field>":<value>}}}:\n  - ${formatZodIssues(result.error).join('\n  - ')}`,
    );
  }
  const destinations = (config as { destinations?: unknown }).destinations;
  const list = Array.isArray(destinations) ? (destinations as Record<string, unknown>[]) : [];
  const ids = list.map((d) => d.id);
  const unknown = Object.keys(result.data.destinations).filter((id) => !ids.includes(id));
  if (unknown.length > 0) {
    throw new EnvironmentError(
      `${name} names destinations the config does not have: ${unknown.join(', ')} (the config has ${ids.join(', ') || 'none'})`,
    );
  }
  return {
    ...(config as object),
    destinations: list.map((d) => ({ ...d, ...result.data.destinations[String(d.id)] })),
  };
}
