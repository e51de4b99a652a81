/**
 * The local stack as end-to-end files use it: started with quiet functions, written to through the
 * profile writer, read back per profile. One stack per file (`beforeAll`), stopped in `afterAll`: the
 * in-process functions keep the endpoints of the first stack they were imported with, and the e2e
 * project runs each file in a process of its own.
 */
import type { DestinationRecord } from '../../adapters/kinesis-reader.js';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';

/** The functions' environment in tests: errors only (a test that expects more sets its own level), no metrics output. */
export const QUIET_FUNCTIONS = {
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
} as const;

/**
 * Starts a local stack with {@link QUIET_FUNCTIONS} (overridden by `options.functionEnv`).
 * @throws what `startLocalStack` throws (a port in use, java missing, an invalid config).
 */
export function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({ ...options, functionEnv: { ...QUIET_FUNCTIONS, ...options.functionEnv } });
}

/** Writes profiles through the profile writer into the stack's profile table. */
export async function writeTo(
  stack: LocalStack,
  documents: readonly Record<string, unknown>[],
): Promise<void> {
  await writeProfiles(documents, {
    tableName: stack.resources.profileTableName,
    client: stack.clients.dynamodb,
  });
}

/** The records of one profile (its partition key) in a destination's stream, in stream order. */
export async function exportsOf(
  stack: LocalStack,
  destinationId: string,
  profileId: string,
): Promise<DestinationRecord[]> {
  return (await stack.readRecords(destinationId)).filter((r) => r.partitionKey === profileId);
}
