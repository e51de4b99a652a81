/**
 * The local stack as end-to-end files use it: started with quiet functions on the e2e project's shared
 * DynamoDB Local, written to through the profile writer, read back per profile. One stack per file
 * (`beforeAll`), stopped in `afterAll`: the in-process functions keep the endpoints of the first stack
 * they were imported with, and the e2e project runs each file in a process of its own.
 */
import { inject } from 'vitest';
import type { DestinationRecord } from '../../adapters/kinesis-reader.js';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { connectDynamoDb } from '../../local/dynamodb-shared.js';
import { type Emulator, startDynamoDb } from '../../local/emulators.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';

/** The functions' environment in tests: errors only (a test that expects more sets its own level), no metrics output. */
export const QUIET_FUNCTIONS = {
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
} as const;

/** Stacks this process started on the shared DynamoDB Local: each gets tables of its own. */
let sharedStacks = 0;

/**
 * Starts a local stack with {@link QUIET_FUNCTIONS} (overridden by `options.functionEnv`), on the e2e
 * project's shared DynamoDB Local when there is one (tables `t<pid>-<n>-…`, deleted when it stops) and
 * the stack does not need its own: a persisted one (it restarts it) or one on a fixed port.
 * @throws what `startLocalStack` throws (a port in use, java missing, an invalid config).
 */
export function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const endpoint = inject('sharedDynamoDbEndpoint');
  const shared =
    endpoint !== undefined &&
    options.persistDynamoDb !== true &&
    (options.ports?.dynamodb ?? 0) === 0 &&
    options.sharedDynamoDb === undefined;
  return startLocalStack({
    ...options,
    ...(shared && { sharedDynamoDb: { endpoint, tablePrefix: `t${process.pid}-${++sharedStacks}` } }),
    functionEnv: { ...QUIET_FUNCTIONS, ...options.functionEnv },
  });
}

/**
 * The e2e project's shared DynamoDB Local for a file that creates its own tables (give them names no
 * other file uses: {@link fileTableName}); `stop()` leaves it running. Outside the e2e project (no
 * shared one), a DynamoDB Local of the file's own.
 */
export function testDynamoDb(): Promise<Emulator> {
  const endpoint = inject('sharedDynamoDbEndpoint');
  return endpoint === undefined ? startDynamoDb() : connectDynamoDb(endpoint);
}

/** `<base>-<pid>`: a table name of this file's alone on the shared DynamoDB Local. */
export const fileTableName = (base: string): string => `${base}-${process.pid}`;

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
