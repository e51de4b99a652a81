import { defineEnvironment, type EnvironmentOf } from '../commons/environment.js';

/**
 * The connection check's variables: none besides the common ones. Its destinations come in the
 * custom resource's properties, and it does not read the bundled config.
 */
const environment = defineEnvironment({});

/** The connection check's environment (empty). */
export type ConnectionCheckEnvironment = EnvironmentOf<typeof environment>;

/**
 * The connection check's variables (none): `readConnectionCheckEnvironment` (throws EnvironmentError
 * like the others), `connectionCheckEnvironment` (the builder), their names and the schema.
 */
export const {
  read: readConnectionCheckEnvironment,
  build: connectionCheckEnvironment,
  names: CONNECTION_CHECK_VARIABLES,
  schema: connectionCheckEnvironmentSchema,
} = environment;
