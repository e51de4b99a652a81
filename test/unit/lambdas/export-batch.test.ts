import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FailureRecord } from '../../../adapters/state-table.js';
import { parseConfig } from '../../../core/config.js';
import { type ExportMessage, exportIdFor, messageGroupIdFor } from '../../../core/export-message.js';
import { type ExportDependencies, exportBatch } from '../../../lambdas/export/export-batch.js';
import { isStale } from '../../../lambdas/export/export-items.js';
import { CATALOG, destination } from '../core/fixtures.js';
import { logRecorder, metricRecorder } from './recorders.js';

const config = parseConfig({ destinations: [destination()], segmentCatalog: CATALOG });
const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'us-east-1' });

let messageCounter = 0;
function sqsRecord(
  profileId: string,
  profileVersion: number,
  options: { receiveCount?: number; body?: string } = {},
): SQSRecord {
  messageCounter++;
  const message: ExportMessage = {
    v: 1,
    exportId: exportIdFor(`event-${messageCounter}`, 'marketing'),
    destinationId: 'marketing',
    profileId,
    profileVersion,
    reasons: ['mapped-attribute'],
    sourceEventId: `event-${messageCounter}`,
    sourceTime: 1_000,
    queuedAt: 1_000,
    document: {
      person: { name: { firstName: `v${profileVersion}` } },
      segmentMembership: { ups: {} },
      identityMap: {},
    },
  };
  return {
    messageId: `msg-${messageCounter}`,
    receiptHandle: 'rh',
    body: options.body ?? JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '1',
      MessageGroupId: messageGroupIdFor('marketing', profileId),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:export.fifo',
    awsRegion: 'us-east-1',
  };
}

/** Kinesis answering each PutRecords entry with `decide(partitionKey, data)`: undefined = accepted, else an error code. */
let putCalls: { partitionKey: string; data: string }[][];
function kinesisAnswering(decide: (partitionKey: string, data: string) => string | undefined) {
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    const call = (input.Records ?? []).map((r) => ({
      partitionKey: r.PartitionKey as string,
      data: Buffer.from(r.Data as Uint8Array).toString('utf8'),
    }));
    putCalls.push(call);
    const records = call.map((r, i) => {
      const code = decide(r.partitionKey, r.data);
      return code === undefined
        ? { SequenceNumber: `${putCalls.length}-${i}`, ShardId: 'shardId-0' }
        : { ErrorCode: code, ErrorMessage: code };
    });
    return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records };
  });
}

function fakeState(ledger: Record<string, number> = {}) {
  const delivered = new Map(Object.entries(ledger));
  const failures: Omit<FailureRecord, 'firstFailureAt'>[] = [];
  return {
    delivered,
    failures,
    deliveredVersions: async () => new Map(delivered),
    recordDelivered: async (entries: ReadonlyMap<string, number>) => {
      for (const [k, v] of entries) delivered.set(k, v);
    },
    recordFailure: async (f: Omit<FailureRecord, 'firstFailureAt'>) => {
      failures.push(f);
    },
  };
}

function deps(
  state = fakeState(),
): ExportDependencies & { metrics: ReturnType<typeof metricRecorder>; state: ReturnType<typeof fakeState> } {
  return {
    destinations: new Map(config.destinations.map((d) => [d.id, d])),
    clients: { forDestination: () => ({ client, target: { StreamName: 'profile-exports' } }) },
    state,
    maxReceiveCount: 3,
    metrics: metricRecorder(),
    logger: logRecorder(),
    now: () => 1_500,
    sleep: async () => undefined,
    random: () => 0.5,
  } as never;
}

const budget = () => 10_000;
const names = (data: string) =>
  (JSON.parse(data) as { person: { name: { firstName: string } } }).person.name.firstName;

beforeEach(() => {
  kinesis.reset();
  putCalls = [];
});

describe('exportBatch()', () => {
  it('puts each document as the record data with the profile id as partition key', async () => {
    kinesisAnswering(() => undefined);
    const d = deps();

    const result = await exportBatch([sqsRecord('p-1', 1), sqsRecord('p-2', 1)], budget, d);

    expect(result.batchItemFailures).toEqual([]);
    expect(putCalls).toEqual([
      [
        {
          partitionKey: 'p-1',
          data: '{"person":{"name":{"firstName":"v1"}},"segmentMembership":{"ups":{}},"identityMap":{}}',
        },
        {
          partitionKey: 'p-2',
          data: '{"person":{"name":{"firstName":"v1"}},"segmentMembership":{"ups":{}},"identityMap":{}}',
        },
      ],
    ]);
    expect(d.metrics.totals.get('RecordsPut')).toBe(2);
    expect(d.metrics.latencies).toEqual([500, 500]);
    expect(d.state.delivered.get('delivered#marketing#p-1')).toBe(1);
  });

  it('puts the messages of one profile in separate calls, in order', async () => {
    kinesisAnswering(() => undefined);

    await exportBatch([sqsRecord('p-1', 1), sqsRecord('p-1', 2), sqsRecord('p-2', 1)], budget, deps());

    expect(putCalls.map((call) => call.map((r) => `${r.partitionKey}:${names(r.data)}`))).toEqual([
      ['p-1:v1', 'p-2:v1'],
      ['p-1:v2'],
    ]);
  });

  it("keeps a profile's order: when its earlier record fails, the later one is not put and both are reported", async () => {
    // p-1 v1 is throttled on every attempt; p-1 v2 would succeed; p-2 is fine.
    kinesisAnswering((partitionKey, data) =>
      partitionKey === 'p-1' && names(data) === 'v1' ? 'ProvisionedThroughputExceededException' : undefined,
    );
    const first = sqsRecord('p-1', 1);
    const later = sqsRecord('p-1', 2);
    const other = sqsRecord('p-2', 1);
    let remaining = 1_000;
    const d = deps();

    const result = await exportBatch([first, later, other], () => remaining, {
      ...d,
      sleep: async (ms) => {
        remaining -= ms;
      },
    });

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([first.messageId, later.messageId]);
    expect(putCalls.flat().some((r) => r.partitionKey === 'p-1' && names(r.data) === 'v2')).toBe(false);
    expect(d.state.failures.map((f) => [f.profileId, f.code])).toEqual([
      ['p-1', 'ProvisionedThroughputExceededException'],
      ['p-1', 'PrecedingExportFailed'],
    ]);
    expect(d.state.delivered.get('delivered#marketing#p-2')).toBe(1);
  });

  it('skips an export older than the version already delivered, or that version again, and puts newer ones', async () => {
    kinesisAnswering(() => undefined);
    const d = deps(fakeState({ 'delivered#marketing#p-1': 5 }));

    const result = await exportBatch(
      [sqsRecord('p-1', 3), sqsRecord('p-1', 5), sqsRecord('p-1', 6), sqsRecord('p-1', 6)],
      budget,
      d,
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(putCalls.flat().map((r) => names(r.data))).toEqual(['v6']);
    expect(d.metrics.totals.get('ExportsSuperseded')).toBe(3);
    expect(d.state.delivered.get('delivered#marketing#p-1')).toBe(6);
  });

  it.each([
    [
      'a backfill export of the delivered version (it carries newly mapped segments)',
      { profileVersion: 5, reasons: ['backfill'] },
      false,
    ],
    [
      'an unversioned export (not written by the profile writer)',
      { profileVersion: 0, reasons: ['mapped-attribute'] },
      false,
    ],
    ['a live export of the delivered version', { profileVersion: 5, reasons: ['mapped-attribute'] }, true],
    ['an export older than the delivered version', { profileVersion: 4, reasons: ['backfill'] }, true],
  ] as const)('isStale(): %s → %s', (_label, message, stale) => {
    expect(isStale({ ...message, reasons: [...message.reasons] } as unknown as ExportMessage, 5)).toBe(stale);
  });

  it('treats a missing stream as an ordinary failure, recording the error and the attempt', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream profile-exports not found', $metadata: {} }));
    const record = sqsRecord('p-1', 1, { receiveCount: 2 });
    const d = deps();

    const result = await exportBatch([record], budget, d);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(d.state.failures).toEqual([
      expect.objectContaining({
        profileId: 'p-1',
        destinationId: 'marketing',
        code: 'ResourceNotFoundException',
        attempts: 2,
        lastFailureAt: 1_500,
      }),
    ]);
    expect(d.metrics.totals.get('RecordsDeadLettered') ?? 0).toBe(0);
  });

  it('counts a failure on the last attempt as dead-lettered', async () => {
    kinesis.on(PutRecordsCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    const d = deps();

    await exportBatch([sqsRecord('p-1', 1, { receiveCount: 3 })], budget, d);

    expect(d.metrics.totals.get('RecordsDeadLettered')).toBe(1);
  });

  it('reports an invalid message as a failure that holds its profile back, and exports the others', async () => {
    kinesisAnswering(() => undefined);
    const broken = sqsRecord('p-1', 1, { body: '{"v":1}' });
    const next = sqsRecord('p-1', 2);
    const other = sqsRecord('p-2', 1);

    const result = await exportBatch([broken, next, other], budget, deps());

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([broken.messageId, next.messageId]);
    expect(putCalls.flat().map((r) => r.partitionKey)).toEqual(['p-2']);
  });

  it('puts nothing and reports every message when the delivery ledger cannot be read', async () => {
    kinesisAnswering(() => undefined);
    const state = {
      ...fakeState(),
      deliveredVersions: async () => Promise.reject(new Error('table unavailable')),
    };
    const records = [sqsRecord('p-1', 1), sqsRecord('p-2', 1)];

    const result = await exportBatch(records, budget, deps(state as never));

    expect(result.batchItemFailures).toHaveLength(2);
    expect(putCalls).toEqual([]);
  });
});
