/**
 * vitest globalSetup of the e2e project: one DynamoDB Local for every e2e file's local stack.
 *
 * Each e2e file runs in a process of its own and starts its own local stack; kinesalite and the SQS
 * emulator live in that process and cost nothing to start, but DynamoDB Local is a JVM: about 2 s of
 * CPU to start, paid by some twenty files on two cores. Here it starts once (with the JVM's default
 * compilers: it lives for the whole run), and `startTestStack()` gives each stack its own table prefix
 * on it. A stack that persists DynamoDB Local (to restart it) or fixes its port still starts its own.
 */
import type { TestProject } from 'vitest/node';
import { type Emulator, startDynamoDb } from '../../local/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The endpoint of the e2e project's shared DynamoDB Local (`http://127.0.0.1:<port>`). */
    sharedDynamoDbEndpoint: string;
  }
}

let emulator: Emulator | undefined;

export async function setup(project: TestProject): Promise<void> {
  emulator = await startDynamoDb();
  project.provide('sharedDynamoDbEndpoint', emulator.endpoint);
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
}
