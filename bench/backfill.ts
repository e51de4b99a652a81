/**
 * Benchmark 4 — the backfill on the local stack, as a deploy starts it: one event with every mapped
 * (destination, segment) pair of the bench config (three newly mapped segments), run by the same
 * code as the backfill function (`runDeployBackfill`). Counts the table scans the deploy started
 * (the first page of scan segment 0), profiles scanned per second, and profiles scanned and
 * exported per second (until the last backfill record is in Kinesis). Also the CPU one scanned
 * profile costs (`planBackfillPage`, no I/O), the capacity model's `backfillItemMicros`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { tailStream } from '../adapters/kinesis-reader.js';
import { compileConfig } from '../core/compiled-config.js';
import type { DestinationConfig } from '../core/config.js';
import type { StoredProfile } from '../core/profile.js';
import { planBackfillPage } from '../lambdas/backfill/backfill-page.js';
import { deployBackfillEvent, runDeployBackfill } from '../lambdas/backfill/deploy-backfill.js';
import { createDynamoDbClient } from '../local/clients.js';
import type { LocalStack } from '../local/stack.js';
import { median, round } from './stats.js';

/** What the backfill bench measured. */
export interface BackfillBenchResult {
  readonly profiles: number;
  /** Newly mapped segments the deploy's event carried. */
  readonly segments: number;
  /** Table scans the deploy started. */
  readonly scans: number;
  readonly scanned: number;
  readonly queued: number;
  readonly scanSeconds: number;
  readonly scannedPerSecond: number;
  /** Profiles scanned and their exports readable in Kinesis, per second (start → last record). */
  readonly perSecond: number;
  readonly seconds: number;
  /** CPU per scanned profile, one destination, µs (median of 5 rounds). */
  readonly itemMicros: number;
}

/** µs of `planBackfillPage` per stored profile, median of five rounds. */
export function measureBackfillCpu(configJson: DestinationConfig, items: readonly StoredProfile[]): number {
  const config = compileConfig(configJson);
  const destination = config.destinations[0];
  if (destination === undefined) return Number.NaN;
  const marshalled = items.map((item) => marshall(item, { removeUndefinedValues: true }));
  const context = {
    runId: 'bench',
    destination,
    segmentIds: destination.mappedSegmentIds,
    config,
    scanTime: Date.now(),
    now: Date.now,
  };
  planBackfillPage(marshalled.slice(0, 200), context);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    planBackfillPage(marshalled, context);
    rounds.push(((performance.now() - started) * 1000) / marshalled.length);
  }
  return round(median(rounds), 1);
}

/** Runs the backfill of one deploy that newly maps the bench destination's segments. */
export async function backfillBench(
  stack: LocalStack,
  configJson: DestinationConfig,
  profiles: number,
  stream: string,
  items: readonly StoredProfile[],
): Promise<BackfillBenchResult> {
  const itemMicros = measureBackfillCpu(configJson, items);
  const event = deployBackfillEvent(configJson.destinations);
  const pairs = event.pairs;
  let scans = 0;
  const dynamo: DynamoDBClient = createDynamoDbClient(stack.endpoints.dynamodb);
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Segment?: number; ExclusiveStartKey?: unknown };
      if (
        context.commandName === 'ScanCommand' &&
        (input.Segment ?? 0) === 0 &&
        input.ExclusiveStartKey === undefined
      )
        scans++;
      return next(args);
    },
    { step: 'initialize', name: 'countScans' },
  );
  const seen = new Set<string>();
  let lastArrival = 0;
  const abort = new AbortController();
  const reader = (async () => {
    for await (const record of tailStream(stack.clients.kinesis, stream, {
      signal: abort.signal,
      // The rate is read from the records' arrival timestamps, not from when the reader sees them.
      pollIntervalMs: 200,
    })) {
      seen.add(record.partitionKey);
      lastArrival = Math.max(lastArrival, record.arrivedAt);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  try {
    const { result } = await runDeployBackfill(
      {
        dynamo,
        sqs: stack.clients.sqs,
        profileTableName: stack.resources.profileTableName,
        stateTableName: stack.resources.stateTableName,
        exportQueueUrl: stack.resources.exportQueueUrl,
        config: compileConfig(configJson),
        // Measure the code, not the pacing (the pace is a share of the table's capacity; see the model).
        readUnitsPerSecond: 1_000_000,
      },
      event,
      async () => undefined,
    );
    const scanSeconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + 120_000;
    while (seen.size < result.queued && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const seconds = (Math.max(lastArrival, started) - started) / 1000;
    return {
      profiles,
      segments: pairs.length,
      scans,
      scanned: result.scanned,
      queued: result.queued,
      scanSeconds: round(scanSeconds, 2),
      scannedPerSecond: round(result.scanned / scanSeconds, 0),
      perSecond: round(Math.min(seen.size, result.queued) / Math.max(seconds, scanSeconds), 0),
      seconds: round(seconds, 2),
      itemMicros,
    };
  } finally {
    abort.abort();
    await reader.catch(() => undefined);
    dynamo.destroy();
  }
}
