/**
 * A DynamoDB Local that someone else runs and stops, as one of the local stack's emulators: the e2e
 * tests start one JVM for all their stacks (test/setup/shared-dynamodb.ts) and each stack connects to it.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from './clients.js';
import type { Emulator } from './emulators.js';
import { EmulatorStartError } from './errors.js';
import { waitFor } from './wait.js';

/**
 * A DynamoDB Local that another owner started and stops (e.g. one JVM shared by the e2e test files):
 * waits until it answers, then hands it out as an {@link Emulator} whose `stop()` leaves it running
 * and whose `restart()` is refused — other stacks use it.
 * @throws EmulatorStartError when the endpoint is not an http URL with a port, or does not answer
 *   ListTables within `timeoutMs`.
 */
export async function connectDynamoDb(endpoint: string, { timeoutMs = 10_000 } = {}): Promise<Emulator> {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (url === undefined || url.protocol !== 'http:' || url.port === '')
    throw new EmulatorStartError(
      `the shared DynamoDB Local endpoint "${endpoint}" is not an http URL with a port, e.g. http://127.0.0.1:8000`,
    );
  const client = createDynamoDbClient(endpoint, { maxAttempts: 1 });
  try {
    await waitFor(
      `the shared DynamoDB Local at ${endpoint}`,
      async () => {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    throw new EmulatorStartError(
      `the shared DynamoDB Local at ${endpoint} does not answer: start it first, or let the stack start its own (no sharedDynamoDb)`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  return {
    service: 'dynamodb',
    port: Number(url.port),
    endpoint: url.origin,
    stop: async () => undefined,
    restart: () =>
      Promise.reject(
        new EmulatorStartError(
          `the DynamoDB Local at ${endpoint} is shared with other stacks and is not restarted by one of them: start the stack without sharedDynamoDb to restart its DynamoDB Local`,
        ),
      ),
  };
}
