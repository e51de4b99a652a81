import { z } from 'zod';
import { defineEnvironment, type EnvironmentValues, VARIABLE } from '../commons/environment.js';

/** The decide function's variables (besides the bundled config and the common ones). */
const variables = {
  exportQueueUrl: {
    name: VARIABLE.exportQueueUrl,
    schema: z.url('must be the URL of the FIFO export queue'),
  },
  rejectsQueueUrl: {
    name: VARIABLE.rejectsQueueUrl,
    schema: z.url('must be the URL of the rejects queue'),
  },
};
const environment = defineEnvironment(variables);

/** The decide function's environment, read at cold start. */
export type DecideEnvironment = EnvironmentValues<typeof variables>;

/** The names of the decide function's variables. */
export const DECIDE_VARIABLES = environment.names;

/** The schema of the decide function's `process.env`. */
export const decideEnvironmentSchema = environment.schema;

/**
 * Reads the decide function's variables.
 * @throws EnvironmentError naming each missing or malformed variable.
 */
export function readDecideEnvironment(env: NodeJS.ProcessEnv = process.env): DecideEnvironment {
  return environment.read(env);
}

/** The decide function's variables, for the CDK construct and the local stack. */
export function decideEnvironment(values: DecideEnvironment): Record<string, string> {
  return environment.build(values);
}
