import { z } from 'zod';
import { defineEnvironment, type EnvironmentValues, VARIABLE } from '../commons/environment.js';

/** The backfill function's variables (besides the bundled config and the common ones). */
const variables = {
  profileTableName: { name: VARIABLE.profileTableName, schema: z.string().min(1) },
  stateTableName: { name: VARIABLE.stateTableName, schema: z.string().min(1) },
  exportQueueUrl: { name: VARIABLE.exportQueueUrl, schema: z.string().min(1) },
};
const environment = defineEnvironment(variables);

/** The backfill function's environment, read at cold start. */
export type BackfillEnvironment = EnvironmentValues<typeof variables>;

/** The names of the backfill function's variables. */
export const BACKFILL_VARIABLES = environment.names;

/** The schema of the backfill function's `process.env`. */
export const backfillEnvironmentSchema = environment.schema;

/**
 * Reads the backfill function's variables.
 * @throws EnvironmentError naming each missing or malformed variable.
 */
export function readBackfillEnvironment(env: NodeJS.ProcessEnv = process.env): BackfillEnvironment {
  return environment.read(env);
}

/** The backfill function's variables, for the CDK construct and the local stack. */
export function backfillEnvironment(values: BackfillEnvironment): Record<string, string> {
  return environment.build(values);
}
