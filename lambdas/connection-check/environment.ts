import { defineEnvironment, type EnvironmentValues } from '../commons/environment.js';

/**
 * The connection check's variables: none besides the common ones. Its destinations come in the
 * custom resource's properties, and it does not read the bundled config.
 */
const variables = {};
const environment = defineEnvironment(variables);

/** The connection check's environment (empty). */
export type ConnectionCheckEnvironment = EnvironmentValues<typeof variables>;

/** The names of the connection check's variables (none). */
export const CONNECTION_CHECK_VARIABLES = environment.names;

/** The schema of the connection check's `process.env`. */
export const connectionCheckEnvironmentSchema = environment.schema;

/**
 * Reads the connection check's variables.
 * @throws EnvironmentError naming each missing or malformed variable.
 */
export function readConnectionCheckEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): ConnectionCheckEnvironment {
  return environment.read(env);
}

/** The connection check's variables, for the CDK construct and the local stack. */
export function connectionCheckEnvironment(values: ConnectionCheckEnvironment = {}): Record<string, string> {
  return environment.build(values);
}
