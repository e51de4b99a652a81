import { z } from 'zod';
import { defineEnvironment, type EnvironmentOf, VARIABLE } from '../commons/environment.js';

/** The backfill function's variables (besides the bundled config and the common ones). */
const environment = defineEnvironment({
  profileTableName: { name: VARIABLE.profileTableName, schema: z.string().min(1) },
  stateTableName: { name: VARIABLE.stateTableName, schema: z.string().min(1) },
  exportQueueUrl: { name: VARIABLE.exportQueueUrl, schema: z.string().min(1) },
});

/** The backfill function's environment, read at cold start. */
export type BackfillEnvironment = EnvironmentOf<typeof environment>;

/**
 * The backfill function's variables: `readBackfillEnvironment` (at cold start; throws EnvironmentError
 * naming each missing or malformed variable), `backfillEnvironment` (the builder of the CDK construct
 * and the local stack), their names and the schema of `process.env`.
 */
export const {
  read: readBackfillEnvironment,
  build: backfillEnvironment,
  names: BACKFILL_VARIABLES,
  schema: backfillEnvironmentSchema,
} = environment;
