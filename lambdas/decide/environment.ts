import { z } from 'zod';
import { defineEnvironment, type EnvironmentOf, VARIABLE } from '../commons/environment.js';

/** The decide function's variables (besides the bundled config and the common ones). */
const environment = defineEnvironment({
  exportQueueUrl: {
    name: VARIABLE.exportQueueUrl,
    schema: z.url('must be the URL of the FIFO export queue'),
  },
  rejectsQueueUrl: {
    name: VARIABLE.rejectsQueueUrl,
    schema: z.url('must be the URL of the rejects queue'),
  },
});

/** The decide function's environment, read at cold start. */
export type DecideEnvironment = EnvironmentOf<typeof environment>;

/**
 * The decide function's variables: `readDecideEnvironment` (at cold start; throws EnvironmentError
 * naming each missing or malformed variable), `decideEnvironment` (the builder of the CDK construct and
 * the local stack), their names and the schema of `process.env`.
 */
export const {
  read: readDecideEnvironment,
  build: decideEnvironment,
  names: DECIDE_VARIABLES,
  schema: decideEnvironmentSchema,
} = environment;
