/**
 * Benchmark 2 — the exporter.
 *
 * - The chunker alone (`putRecordsInChunks`) with 10,000 realistic export documents, through the
 *   fault proxy in front of kinesalite: PutRecords calls and bytes, without throttling and with 20%
 *   of entries throttled (calls, entries resent, duplicates and losses counted by reading the
 *   stream back: every key must be there exactly once).
 * - The export function's batch logic (`exportBatch`) as the FIFO event source drives it: 10,000
 *   exports in batches of 10 messages (10 profiles each), with an in-memory ledger: calls per
 *   invocation and in total.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  KinesisClient,
  PutRecordCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SQSRecord } from 'aws-lambda';
import { readAllRecords } from '../adapters/kinesis-reader.js';
import { type PutEntry, putRecordsInChunks } from '../adapters/put-records.js';
import type { StateTable } from '../adapters/state-table.js';
import { decideExports } from '../core/decide.js';
import { buildExportMessage, type ExportMessage, messageGroupIdFor } from '../core/export-message.js';
import { FUNNEL_METRIC } from '../core/metric-names.js';
import type { LedgerEntry } from '../core/staleness.js';
import { parseStreamRecord } from '../core/stream-record.js';
import { createObservability, METRIC, type MetricSink } from '../lambdas/commons/observability.js';
import type { LedgerStore } from '../lambdas/export/export-ledger.js';
import { exportBatch } from '../lambdas/export/export-loop.js';
import { type FaultProxy, startFaultProxy } from '../local/fault-proxy.js';
import { benchConfig, benchConfigJson, benchStreamRecords } from './profiles.js';
import { median, round } from './stats.js';

const require = createRequire(import.meta.url);
const kinesalite = require('kinesalite') as (options: {
  createStreamMs?: number;
  shardLimit?: number;
}) => Server;

export interface ExporterBenchResult {
  exports: number;
  putRecordsCalls: number;
  callsTarget: number;
  bytesSent: number;
  /** HTTP request bytes of those calls (base64 data + JSON), as the proxy saw them. */
  wireBytes: number;
  recordBytesMedian: number;
  ms: number;
  throttled: {
    share: number;
    putRecordsCalls: number;
    entriesThrottled: number;
    retries: number;
    duplicates: number;
    lost: number;
    failedAfterBudget: number;
    ms: number;
  };
  fifoHandler: {
    exports: number;
    invocations: number;
    putRecordsCalls: number;
    callsPerInvocation: number;
    medianInvocationMs: number;
    /** State-table items read (strongly consistent) per export: the cost model's ledger reads. */
    stateItemsReadPerExport: number;
    /** State-table items written per export: the cost model's ledger writes. */
    stateItemsWrittenPerExport: number;
    /** The function's own DeleteMessageBatch calls per export (messages put before a later round). */
    sqsDeleteCallsPerExport: number;
    deadLetterMovesPerExport: number;
  };
  /** The naive design's export: one PutRecord of one document, median ms (the whole invocation's I/O). */
  naivePutRecordMs: number;
  /** Median export-queue message body (the envelope with its document), bytes. */
  messageBytesMedian: number;
  /** Bytes of the metrics (EMF) documents one invocation writes to CloudWatch Logs, as Powertools prints them. */
  metricsLogBytes: { exportInvocation: number; decideInvocation: number };
}

function documents(n: number): { profileId: string; json: string; message: ExportMessage; body: string }[] {
  const config = benchConfig();
  const out: { profileId: string; json: string; message: ExportMessage; body: string }[] = [];
  // Exporting changes only (the benchmark's mix has a quarter that exports nothing).
  for (const r of benchStreamRecords(Math.ceil(n * 1.4), Math.ceil(n * 1.4))) {
    if (out.length >= n) break;
    const parsed = parseStreamRecord(r.record, { fields: config.fieldsRead });
    if (!parsed.ok) continue;
    const decision = decideExports(parsed.change, config)[0];
    if (decision?.export !== true) continue;
    const profileId = `${parsed.profileId}-${out.length}`;
    // The producers' own builder: the message body is exactly what the decide function queues.
    const queued = buildExportMessage(
      { ...decision, destinationId: 'bench' },
      {
        sourceEventId: `${r.record.eventID}-${out.length}`,
        profileId,
        sourceTime: Date.now(),
        queuedAt: Date.now(),
      },
    );
    out.push({ profileId, json: decision.documentJson, message: queued.message, body: queued.body });
  }
  return out;
}

/**
 * The delivery ledger in memory, counting the items read and written: the same store interface as
 * the state table, so the export function runs its real ledger logic against it.
 */
function countingLedger(): LedgerStore &
  Pick<StateTable, 'recordFailure' | 'failureAttempts'> & {
    counts: { itemsRead: number; itemsWritten: number };
  } {
  const items = new Map<string, LedgerEntry>();
  const counts = { itemsRead: 0, itemsWritten: 0 };
  return {
    counts,
    destinationStates: async (ids) => {
      counts.itemsRead += ids.length;
      return new Map();
    },
    ledgerEntries: async (keys) => {
      counts.itemsRead += keys.length;
      return new Map(keys.flatMap((k) => (items.has(k) ? [[k, items.get(k) as LedgerEntry]] : [])));
    },
    writeLedgerEntries: async (entries) => {
      counts.itemsWritten += entries.size;
      for (const [k, e] of entries) items.set(k, e);
    },
    recordLiveDeliveries: async (deliveries) => {
      counts.itemsWritten += deliveries.length;
    },
    markDestinations: async (ids) => {
      counts.itemsWritten += ids.length;
    },
    openBackfillWindow: async () => {
      counts.itemsWritten += 1;
    },
    recordFailure: async ({ messageId: _life, attempt, ...failure }) => {
      counts.itemsWritten += 1;
      return { ...failure, attempts: attempt ? 1 : 0, firstFailureAt: failure.lastFailureAt };
    },
    failureAttempts: async (lives) => {
      counts.itemsRead += lives.length;
      return new Map();
    },
  };
}

/**
 * The metrics documents of a typical invocation, as the functions' Powertools Metrics print them
 * (captured from stdout): the export function's (records put and ten latencies, and its destination's
 * funnel document) and the decide function's (records evaluated, exports queued, and its
 * destination's funnel document).
 */
function measureMetricsLogBytes(): { exportInvocation: number; decideInvocation: number } {
  const measure = (emit: (sink: MetricSink) => void): number => {
    const { metrics, metricSink } = createObservability();
    const write = process.stdout.write.bind(process.stdout);
    let bytes = 0;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.byteLength;
      return true;
    }) as typeof process.stdout.write;
    try {
      emit(metricSink);
      metrics.publishStoredMetrics();
    } finally {
      process.stdout.write = write;
    }
    return bytes;
  };
  return {
    // Each function also prints one funnel document per destination per invocation (one destination here).
    exportInvocation: measure((sink) => {
      const latencies = Array.from({ length: 10 }, (_, i) => 180 + i);
      sink.count(METRIC.recordsPut, 10);
      for (const ms of latencies) sink.milliseconds(METRIC.exportLatency, ms);
      sink.funnel('marketing', { [FUNNEL_METRIC.delivered]: 10 }, latencies);
    }),
    decideInvocation: measure((sink) => {
      sink.count(METRIC.profilesEvaluated, 100);
      sink.count(METRIC.exportsQueued, 75);
      sink.funnel('marketing', {
        [FUNNEL_METRIC.evaluated]: 100,
        [FUNNEL_METRIC.exported.segment]: 25,
        [FUNNEL_METRIC.exported.identity]: 25,
        [FUNNEL_METRIC.exported.attribute]: 25,
        [FUNNEL_METRIC.skipped['no-relevant-change']]: 25,
      });
    }),
  };
}

async function streamCounts(client: KinesisClient, streamName: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await readAllRecords(client, streamName))
    counts.set(r.partitionKey, (counts.get(r.partitionKey) ?? 0) + 1);
  return counts;
}

/** Runs the exporter benchmark on an in-process kinesalite behind the fault proxy. */
export async function runExporterBench(options: { exports?: number } = {}): Promise<ExporterBenchResult> {
  const n = options.exports ?? 10_000;
  const server = kinesalite({ createStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const emulator = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let proxy: FaultProxy | undefined;
  const clients: KinesisClient[] = [];
  const client = (endpoint: string) => {
    const c = new KinesisClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      requestHandler: new NodeHttpHandler({ requestTimeout: 30_000, throwOnRequestTimeout: true }),
    });
    clients.push(c);
    return c;
  };
  try {
    proxy = await startFaultProxy({ target: emulator, seed: 20 });
    const direct = client(emulator);
    const viaProxy = client(proxy.url);
    for (const name of ['bench-plain', 'bench-throttled', 'bench-fifo']) {
      await direct.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4 }));
      await waitUntilStreamExists({ client: direct, maxWaitTime: 30 }, { StreamName: name });
    }
    const docs = documents(n);
    const entries: PutEntry[] = docs.map((d) => ({
      key: d.profileId,
      data: Buffer.from(d.json, 'utf8'),
      partitionKey: d.profileId,
    }));
    const budget = () => 60_000;

    // No throttling.
    proxy.resetStats();
    let started = performance.now();
    const plain = await putRecordsInChunks(entries, {
      client: viaProxy,
      target: { StreamName: 'bench-plain' },
      remainingMs: budget,
    });
    const plainMs = performance.now() - started;
    const plainWire = proxy.stats().putBytes;

    // 20% of entries throttled.
    proxy.resetStats();
    proxy.setFault({ kind: 'fail-entries', share: 0.2, errorCode: 'ProvisionedThroughputExceededException' });
    const deadline = performance.now() + 60_000;
    started = performance.now();
    const throttled = await putRecordsInChunks(entries, {
      client: viaProxy,
      target: { StreamName: 'bench-throttled' },
      remainingMs: () => deadline - performance.now(),
    });
    const throttledMs = performance.now() - started;
    proxy.setFault({ kind: 'none' });
    const counts = await streamCounts(direct, 'bench-throttled');
    let duplicates = 0;
    let lost = 0;
    for (const e of entries) {
      const c = counts.get(e.partitionKey) ?? 0;
      if (c > 1) duplicates += c - 1;
      if (c === 0 && !throttled.failed.has(e.key)) lost++;
    }
    // Entries reported failed but present, or succeeded but absent, are both errors of the chunker.
    for (const key of throttled.succeeded.keys()) if ((counts.get(key) ?? 0) === 0) lost++;

    // The FIFO export function: batches of 10 messages, one message per profile.
    proxy.resetStats();
    const destination = benchConfigJson('bench-fifo').destinations[0];
    if (destination === undefined) throw new Error('bench config has no destination');
    const state = countingLedger();
    const queueCalls = { deletes: 0, moves: 0 };
    const invocationMs: number[] = [];
    const noop = () => undefined;
    for (let i = 0; i < docs.length; i += 10) {
      const batch: SQSRecord[] = docs.slice(i, i + 10).map((d, j) => ({
        messageId: `m-${i + j}`,
        receiptHandle: `r-${i + j}`,
        body: d.body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
          MessageGroupId: messageGroupIdFor('bench', d.profileId),
          MessageDeduplicationId: d.message.exportId,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kinesis-destination-export.fifo',
        awsRegion: 'us-east-1',
      }));
      const t0 = performance.now();
      await exportBatch(
        batch,
        {
          destinations: new Map([[destination.id, destination]]),
          clients: {
            forDestination: () => ({ client: viaProxy, target: { StreamName: 'bench-fifo' } }),
            refresh: () => false,
            redact: (text) => text,
          },
          state,
          queue: {
            deleteMessages: async () => {
              queueCalls.deletes++;
              return new Set();
            },
            moveToDeadLetterQueue: async () => {
              queueCalls.moves++;
              return { outcome: 'moved' as const };
            },
          },
          maxReceiveCount: 3,
          metrics: { count: noop, countWithDimension: noop, milliseconds: noop, funnel: noop },
          logger: { debug: noop, info: noop, warn: noop, error: noop },
        },
        { remainingMs: () => 25_000 },
      );
      invocationMs.push(performance.now() - t0);
    }
    const fifoCalls = proxy.stats().putRecordsCalls;
    const single: number[] = [];
    for (const d of docs.slice(0, 300)) {
      const t0 = performance.now();
      await viaProxy.send(
        new PutRecordCommand({
          StreamName: 'bench-fifo',
          Data: Buffer.from(d.json, 'utf8'),
          PartitionKey: d.profileId,
        }),
      );
      single.push(performance.now() - t0);
    }
    const invocations = Math.ceil(docs.length / 10);

    return {
      exports: entries.length,
      putRecordsCalls: plain.calls,
      callsTarget: Math.ceil(entries.length / 500) + 1,
      bytesSent: plain.bytesSent,
      wireBytes: plainWire,
      recordBytesMedian: median(entries.map((e) => e.data.byteLength + e.partitionKey.length)),
      ms: round(plainMs, 0),
      throttled: {
        share: 0.2,
        putRecordsCalls: throttled.calls,
        entriesThrottled: throttled.throttledEntries,
        retries: throttled.retriedEntries,
        duplicates,
        lost,
        failedAfterBudget: throttled.failed.size,
        ms: round(throttledMs, 0),
      },
      fifoHandler: {
        exports: docs.length,
        invocations,
        putRecordsCalls: fifoCalls,
        callsPerInvocation: round(fifoCalls / invocations, 2),
        medianInvocationMs: round(median(invocationMs), 2),
        stateItemsReadPerExport: round(state.counts.itemsRead / docs.length, 4),
        stateItemsWrittenPerExport: round(state.counts.itemsWritten / docs.length, 4),
        sqsDeleteCallsPerExport: round(queueCalls.deletes / docs.length, 4),
        deadLetterMovesPerExport: round(queueCalls.moves / docs.length, 4),
      },
      naivePutRecordMs: round(median(single), 2),
      messageBytesMedian: median(docs.map((d) => Buffer.byteLength(d.body, 'utf8'))),
      metricsLogBytes: measureMetricsLogBytes(),
    };
  } finally {
    for (const c of clients) c.destroy();
    await proxy?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
