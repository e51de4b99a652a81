import { z } from 'zod';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { defineEnvironment, type EnvironmentOf, VARIABLE } from '../commons/environment.js';

/** The export function's variables (besides the bundled config and the common ones). */
const variables = {
  stateTableName: {
    name: VARIABLE.stateTableName,
    schema: z.string().min(3, 'must name the state table'),
  },
  /** The export queue: the function deletes what it has put while later rounds still run. */
  exportQueueUrl: {
    name: VARIABLE.exportQueueUrl,
    schema: z.url('must be the export queue URL'),
  },
  /** The dead-letter queue: the function moves a message there itself after its last attempt. */
  deadLetterQueueUrl: {
    name: VARIABLE.deadLetterQueueUrl,
    schema: z.url('must be the dead-letter queue URL'),
  },
  /**
   * The export queue's maxReceiveCount, the backstop: after this receive the queue moves a message
   * itself, so the function moves one that fails on it (with its failure) and notes held-back ones.
   */
  exportMaxReceiveCount: {
    name: VARIABLE.exportMaxReceiveCount,
    schema: z.coerce.number().int().min(1).default(PIPELINE_SETTINGS.exportQueue.maxReceiveCount),
  },
};
const environment = defineEnvironment(variables);

/** The export function's environment, read at cold start. */
export type ExportEnvironment = EnvironmentOf<typeof environment>;

/**
 * The export function's variables: `readExportEnvironment` (at cold start; throws EnvironmentError
 * naming each missing or malformed variable), `exportEnvironment` (the builder of the CDK construct and
 * the local stack), their names and the schema of `process.env`.
 */
export const {
  read: readExportEnvironment,
  build: exportEnvironment,
  names: EXPORT_VARIABLES,
  schema: exportEnvironmentSchema,
} = environment;
