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
 * The expression esbuild replaces with the config JSON at bundle time (`define`); the functions read
 * exactly this literal expression, in {@link loadFunctionConfig}.
 */
export const CONFIG_DEFINE_KEY = `process.env.${VARIABLE.configJson}`;

/** esbuild `define` that inlines `config` into a function bundle (the CDK construct's bundling). */
export function bundledConfigDefine(config: DestinationConfig): Record<string, string> {
  return { [CONFIG_DEFINE_KEY]: JSON.stringify(JSON.stringify(config)) };
}

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
};
const common = defineEnvironment(COMMON_VARIABLES);

/** The variables every function reads: the Powertools service name and metrics namespace. */
export type CommonEnvironment = EnvironmentValues<typeof COMMON_VARIABLES>;

/** Reads the variables every function reads (defaults: {@link SERVICE_NAME}, {@link METRICS_NAMESPACE}). */
export function readCommonEnvironment(env: NodeJS.ProcessEnv = process.env): CommonEnvironment {
  return common.read(env);
}

/** The variables every function gets: `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`. */
export function commonEnvironment(): Record<string, string> {
  return common.build({ serviceName: SERVICE_NAME, metricsNamespace: METRICS_NAMESPACE });
}

/** The destination config and its compiled form. */
export interface LoadedConfig {
  readonly config: DestinationConfig;
  readonly compiled: CompiledConfig;
}

/**
 * Loads the destination config a function was built with. On AWS, esbuild inlines the literal
 * expression `process.env.KD_CONFIG_JSON` at bundle time (keep it literal); locally the runtime sets it.
 * @throws EnvironmentError when it is absent or not JSON; ConfigError (the engine's message) when invalid.
 */
export function loadFunctionConfig(json: string | undefined = process.env.KD_CONFIG_JSON): LoadedConfig {
  if (json === undefined || json.length === 0) {
    throw new EnvironmentError(
      `${VARIABLE.configJson} is not set: the destination config must be bundled into the function (see docs/ARCHITECTURE.md)`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new EnvironmentError(
      `${VARIABLE.configJson} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const config = parseConfig(parsed, VARIABLE.configJson);
  return { config, compiled: compileConfig(config) };
}
