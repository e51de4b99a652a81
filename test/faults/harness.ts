/**
 * The fault suite's driver on the local stack: writes the workload (retrying the writer through
 * outages, as an upstream service would), waits for the pipeline to settle, tallies the outcome and
 * prints/records it. Every wait is on a condition with a deadline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetQueueAttributesCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { writeProfiles } from '../../adapters/profile-writer.js';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { startTestStack } from '../helpers/stack.js';
import {
  failureRecorded,
  faultConfig,
  peekQueue,
  type ReadRecord,
  type Tally,
  tallyScenario,
  workloadDocument,
} from './ledger.js';

/** Where each scenario's tally is written (BENCHMARKS.md quotes them). */
export const RESULTS_DIR = resolve(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'kd-faults');

/** Export invocations by outcome, poller errors, and error messages (first 60 characters) by count. */
export interface RuntimeCounts {
  success: number;
  partial: number;
  error: number;
  pollerErrors: number;
  readonly errors: Map<string, number>;
}

/** A stack of the Kinesis scenarios, the fault proxy its functions reach Kinesis through, and their counts. */
export interface KinesisFaultStack {
  readonly stack: LocalStack;
  readonly proxy: FaultProxy;
  readonly runtime: RuntimeCounts;
  /** Stops the stack, then the proxy. */
  stop(): Promise<void>;
}

/**
 * Starts the stack of a Kinesis scenario: the fault config, the functions reaching Kinesis through a
 * fault-injecting proxy (seed 7, no fault until the scenario sets one), export invocations counted.
 * One per scenario file, so the scenarios run in parallel and none inherits another's queues.
 */
export async function startKinesisFaultStack(): Promise<KinesisFaultStack> {
  const runtime: RuntimeCounts = { success: 0, partial: 0, error: 0, pollerErrors: 0, errors: new Map() };
  let proxy: FaultProxy | undefined;
  let stack: LocalStack;
  try {
    stack = await startTestStack({
      config: faultConfig(),
      functionKinesisEndpoint: async (emulator) => {
        proxy = await startFaultProxy({ target: emulator, seed: 7 });
        return proxy.url;
      },
      // Retries within seconds, and a visibility timeout twice the function timeout (AWS asks for 6×),
      // so a slow invocation's messages are not handed out again while it still runs.
      timings: { exportVisibilityTimeoutSeconds: 4, exportTimeoutMs: 2_000 },
      decideMapping: { maxBatchingWindowMs: 200 },
      functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      onRuntimeEvent: (event) => {
        if (event.mapping !== 'export') return;
        if (event.type === 'invoke') {
          runtime[event.outcome]++;
          if (event.error !== undefined) {
            const key = event.error.slice(0, 60);
            runtime.errors.set(key, (runtime.errors.get(key) ?? 0) + 1);
          }
        } else runtime.pollerErrors++;
      },
    });
  } catch (error) {
    await proxy?.close();
    throw error;
  }
  const started = stack;
  return {
    stack: started,
    proxy: proxy as FaultProxy,
    runtime,
    async stop() {
      await started.stop();
      await proxy?.close();
    },
  };
}

/** Profile ids `<prefix>-<i>`. */
export function profileIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/**
 * Writes round `k` of every profile (one document each) through the profile writer. A write that
 * fails (an emulator is down) is retried with backoff until `deadlineMs`: the writer's caller owns
 * that retry, exactly as on AWS.
 */
export async function writeRound(
  stack: LocalStack,
  ids: readonly string[],
  k: number,
  options: { concurrency?: number; deadlineMs?: number } = {},
): Promise<{ retries: number }> {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  let retries = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      for (let attempt = 0; ; attempt++) {
        try {
          await writeProfiles([workloadDocument(id, k)], {
            tableName: stack.resources.profileTableName,
            client: stack.clients.dynamodb,
          });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          retries++;
          await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, ids.length) }, worker));
  return { retries };
}

/** `profileId → [0 … writes-1]`: every write of the workload is exported. */
export function expectAll(ids: readonly string[], writes: number): Map<string, number[]> {
  return new Map(ids.map((id) => [id, Array.from({ length: writes }, (_, k) => k)]));
}

/** Waits until the pipeline is idle (retrying the wait through transient emulator errors). */
export async function settle(stack: LocalStack, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await waitFor(
    'pipeline settled',
    async () => {
      await stack.waitForIdle({ timeoutMs: Math.max(1_000, deadline - Date.now()) });
      return true;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Messages of a queue that are visible now (not in flight). */
export async function visibleMessages(
  stack: LocalStack,
  queue: 'dlq' | 'export' | 'rejects',
): Promise<number> {
  const url = {
    dlq: stack.resources.deadLetterQueueUrl,
    export: stack.resources.exportQueueUrl,
    rejects: stack.resources.rejectsQueueUrl,
  }[queue];
  const { Attributes = {} } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

/** Messages of a queue that are in flight (received, not yet visible again). */
export async function inFlight(stack: LocalStack, queue: 'dlq' | 'export' | 'rejects'): Promise<number> {
  const url = {
    dlq: stack.resources.deadLetterQueueUrl,
    export: stack.resources.exportQueueUrl,
    rejects: stack.resources.rejectsQueueUrl,
  }[queue];
  const { Attributes = {} } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Moves every DLQ message back to the export queue (the SQS redrive `dlq redrive` uses) and waits for it. */
export async function redriveDeadLetters(stack: LocalStack): Promise<void> {
  const arnOf = async (url: string) =>
    (
      await stack.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn as string;
  await stack.clients.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: await arnOf(stack.resources.deadLetterQueueUrl),
      DestinationArn: await arnOf(stack.resources.exportQueueUrl),
    }),
  );
  await waitFor('DLQ redriven', async () => (await stack.queueDepth('dlq')) === 0, { timeoutMs: 30_000 });
}

/** Reads the destination stream, peeks the DLQ and the rejects queue, and tallies. */
export async function tally(
  stack: LocalStack,
  destinationId: string,
  expected: ReadonlyMap<string, readonly number[]>,
): Promise<Tally> {
  const records: ReadRecord[] = (await stack.readRecords(destinationId)).map((r) => ({
    partitionKey: r.partitionKey,
    shardId: r.shardId,
    sequenceNumber: r.sequenceNumber,
    data: typeof r.data === 'string' ? r.data : JSON.stringify(r.data),
  }));
  // A message moved to the DLQ (or peeked by an earlier tally) can be invisible for a while: count
  // only once both queues have every message visible.
  await waitFor(
    'DLQ and rejects messages visible',
    async () => (await inFlight(stack, 'dlq')) === 0 && (await inFlight(stack, 'rejects')) === 0,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const deadLetters = await peekQueue(stack.clients.sqs, stack.resources.deadLetterQueueUrl, 60);
  const rejects = await peekQueue(stack.clients.sqs, stack.resources.rejectsQueueUrl, 60);
  return tallyScenario({
    expected,
    records,
    deadLetters,
    rejects,
    hasReason: (m) => failureRecorded(stack.clients.dynamodb, stack.resources.stateTableName, m),
  });
}

/** Prints one scenario's row and records it for BENCHMARKS.md. */
export function report(scenario: string, result: Tally, extra: Record<string, unknown> = {}): void {
  const row = { scenario, ...result, ...extra };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, `${scenario.replace(/[^a-z0-9]+/gi, '-')}.json`),
    `${JSON.stringify(row)}\n`,
  );
  const cols = [
    'expected',
    'delivered',
    'deadLettered',
    'rejected',
    'superseded',
    'duplicated',
    'lost',
    'orderViolations',
    'withoutReason',
  ] as const;
  process.stdout.write(
    `\n[fault suite] ${scenario}\n| ${cols.join(' | ')} |\n| ${cols.map((c) => String(result[c])).join(' | ')} |\n${
      Object.keys(extra).length > 0 ? `${JSON.stringify(extra)}\n` : ''
    }`,
  );
}
