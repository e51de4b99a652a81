import { z } from 'zod';
import { type CompiledConfig, compileConfig } from '../../core/compiled-config.js';
import { type DestinationConfig, parseConfig } from '../../core/config.js';
import { formatZodIssues } from '../../core/zod-issues.js';
import { EnvironmentError } from './errors.js';

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
      'KD_CONFIG_JSON is not set: the destination config must be bundled into the function (see docs/ARCHITECTURE.md)',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new EnvironmentError(
      `KD_CONFIG_JSON is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const config = parseConfig(parsed, 'KD_CONFIG_JSON');
  return { config, compiled: compileConfig(config) };
}
