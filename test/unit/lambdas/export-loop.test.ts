import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { redactCredentials } from '../../../adapters/destination-credentials.js';
import { parseConfig } from '../../../core/config.js';
import { readDeadLetterReason } from '../../../core/dead-letter.js';
import { messageGroupIdFor } from '../../../core/export-message.js';
import { BACKFILL_WINDOW_GRACE_MS, EMPTY_ENTRY } from '../../../core/staleness.js';
import { exportBatch, startExport } from '../../../lambdas/export/export-loop.js';
import { CATALOG, destination, exportQueueRecord } from '../../helpers/factories.js';
import { logRecorder, metricRecorder } from '../../helpers/recorders.js';
import { type FakeDependencies, fakeQueue, fakeState } from './export-fakes.js';

const config = parseConfig({ destinations: [destination()], segmentCatalog: CATALOG });
const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'us-east-1' });
const KEY = (profileId: string) => `delivered#marketing#${profileId}`;
const EMOJI = '\u{1F600}';

/** An export queue record of `profileId`, its document naming the version (`v<n>`) or `name`. */
function sqsRecord(
  profileId: string,
  profileVersion: number,
  options: {
    receiveCount?: number;
    body?: string;
    backfill?: boolean;
    sourceTime?: number;
    name?: string;
  } = {},
) {
  return exportQueueRecord({
    profileId,
    profileVersion,
    document: {
      person: { name: { firstName: options.name ?? `v${profileVersion}` } },
      segmentMembership: { ups: {} },
      identityMap: {},
    },
    ...(options.backfill === true && { reasons: ['backfill'] }),
    ...(options.sourceTime !== undefined && { sourceTime: options.sourceTime }),
    ...(options.receiveCount !== undefined && { receiveCount: options.receiveCount }),
    ...(options.body !== undefined && { body: options.body }),
  });
}
const exportIdOf = (record: ReturnType<typeof sqsRecord>) => record.queued.message.exportId;

/** Kinesis answering each PutRecords entry with `decide(partitionKey, data)`: undefined = accepted, else an error code. */
let putCalls: { partitionKey: string; data: string }[][];
function kinesisAnswering(
  decide: (partitionKey: string, data: string) => string | undefined,
  log?: string[],
) {
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    const call = (input.Records ?? []).map((r) => ({
      partitionKey: r.PartitionKey as string,
      data: Buffer.from(r.Data as Uint8Array).toString('utf8'),
    }));
    putCalls.push(call);
    log?.push(`put ${call.map((r) => `${r.partitionKey}:${names(r.data)}`).join(',')}`);
    const records = call.map((r, i) => {
      const code = decide(r.partitionKey, r.data);
      return code === undefined
        ? { SequenceNumber: `${putCalls.length}-${i}`, ShardId: 'shardId-0' }
        : { ErrorCode: code, ErrorMessage: code };
    });
    return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records };
  });
}

function deps(
  state = fakeState(),
  queue = fakeQueue(),
  clients: Partial<FakeDependencies['clients']> = {},
): FakeDependencies & { metrics: ReturnType<typeof metricRecorder> } {
  return {
    destinations: new Map(config.destinations.map((d) => [d.id, d])),
    clients: {
      forDestination: () => ({ client, target: { StreamName: 'profile-exports' } }),
      refresh: () => false,
      redact: (text: string) => text,
      ...clients,
    },
    state,
    queue,
    maxReceiveCount: 31,
    metrics: metricRecorder(),
    logger: logRecorder(),
    now: () => 1_500,
    sleep: async () => undefined,
    random: () => 0.5,
  };
}

const time = { remainingMs: () => 10_000 };
const names = (data: string) =>
  (JSON.parse(data) as { person: { name: { firstName: string } } }).person.name.firstName;
/** A destination whose export failed a minute ago: its entries are read. */
const marked = { marketing: { markedAt: 1_500 - 60_000 } };
/** An earlier failure of `record` in its current life (or in the life `messageId`), with `attempts` made. */
function failedBefore(
  state: ReturnType<typeof fakeState>,
  record: ReturnType<typeof sqsRecord>,
  attempts: number,
  messageId = record.messageId,
) {
  state.records.set(exportIdOf(record), {
    exportId: exportIdOf(record),
    destinationId: 'marketing',
    profileId: record.queued.message.profileId,
    code: 'InternalFailure',
    message: 'first',
    attempts,
    firstFailureAt: 700,
    lastFailureAt: 700,
    messageId,
  });
}

beforeEach(() => {
  kinesis.reset();
  putCalls = [];
});

describe('exportBatch()', () => {
  it('puts each document as the record data with the profile id as partition key, writing nothing else', async () => {
    kinesisAnswering(() => undefined);
    const d = deps();

    const result = await exportBatch([sqsRecord('p-1', 1), sqsRecord('p-2', 1)], d, time);

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
    // The common path: one read of the destination's state, no entry read, no write, no delete.
    expect(d.state.stats).toEqual({ destinationReads: 1, entryReads: 0, entryWrites: 0, marks: 0 });
    expect(d.state.failures).toEqual([]);
    expect(d.queue.deletes).toEqual([]);
  });

  it('puts the messages of one profile in separate calls, in order', async () => {
    kinesisAnswering(() => undefined);

    await exportBatch([sqsRecord('p-1', 1), sqsRecord('p-1', 2), sqsRecord('p-2', 1)], deps(), time);

    expect(putCalls.map((call) => call.map((r) => `${r.partitionKey}:${names(r.data)}`))).toEqual([
      ['p-1:v1', 'p-2:v1'],
      ['p-1:v2'],
    ]);
  });

  it('deletes what it put before a later round, so a crash cannot have it handed out again', async () => {
    const queue = fakeQueue();
    kinesisAnswering(() => undefined, queue.log);
    const first = sqsRecord('p-1', 1);
    const other = sqsRecord('p-2', 1);

    await exportBatch([first, sqsRecord('p-1', 2), other], deps(fakeState(), queue), time);

    expect(queue.log).toEqual([
      'put p-1:v1,p-2:v1',
      `delete ${first.receiptHandle},${other.receiptHandle}`,
      'put p-1:v2',
    ]);
  });

  it("keeps a profile's order: when its earlier record fails, the later one is not put, not attempted, and both are reported", async () => {
    kinesisAnswering((partitionKey, data) =>
      partitionKey === 'p-1' && names(data) === 'v1' ? 'ProvisionedThroughputExceededException' : undefined,
    );
    const first = sqsRecord('p-1', 1);
    const later = sqsRecord('p-1', 2);
    const other = sqsRecord('p-2', 1);
    let remaining = 1_000;
    const d = deps();

    const result = await exportBatch(
      [first, later, other],
      {
        ...d,
        sleep: async (ms) => {
          remaining -= ms;
        },
      },
      {
        remainingMs: () => remaining,
      },
    );

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([first.messageId, later.messageId]);
    expect(putCalls.flat().some((r) => r.partitionKey === 'p-1' && names(r.data) === 'v2')).toBe(false);
    // One real attempt, counted; the held-back message made none and has no record.
    expect(d.state.failures.map((f) => [f.exportId, f.code, f.attempts])).toEqual([
      [exportIdOf(first), 'ProvisionedThroughputExceededException', 1],
    ]);
    // The failed export is pending in its profile's entry, and its destination is marked.
    expect(d.state.entry('marketing', 'p-1')?.pending).toEqual([exportIdOf(first)]);
    expect(d.state.destinations.get('marketing')?.markedAt).toBe(1_500);
    expect(d.state.entry('marketing', 'p-2')).toBeUndefined();
  });

  it('skips a redriven export a later delivery superseded, and a versioned export older than, or equal to, the one recorded', async () => {
    kinesisAnswering(() => undefined);
    const superseded = sqsRecord('p-1', 0, { name: 'old' });
    const older = sqsRecord('p-2', 3);
    const same = sqsRecord('p-2', 5);
    const newer = sqsRecord('p-2', 6);
    const state = fakeState({
      destinations: marked,
      entries: {
        [KEY('p-1')]: { ...EMPTY_ENTRY, retired: [exportIdOf(superseded)] },
        [KEY('p-2')]: { ...EMPTY_ENTRY, version: 5 },
      },
    });
    const d = deps(state);

    const result = await exportBatch([superseded, older, same, newer], d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(putCalls.flat().map((r) => names(r.data))).toEqual(['v6']);
    expect(d.metrics.totals.get('ExportsSuperseded')).toBe(3);
  });

  it('puts a redriven export that is still pending, and its delivery supersedes the exports that failed before it', async () => {
    kinesisAnswering(() => undefined);
    const redriven = sqsRecord('p-1', 0, { name: 'second' });
    const state = fakeState({
      destinations: marked,
      entries: { [KEY('p-1')]: { ...EMPTY_ENTRY, pending: ['first', exportIdOf(redriven), 'third'] } },
    });

    await exportBatch([redriven], deps(state), time);

    expect(putCalls.flat().map((r) => names(r.data))).toEqual(['second']);
    expect(state.entry('marketing', 'p-1')).toMatchObject({
      pending: ['third'],
      retired: ['first', exportIdOf(redriven)],
    });
  });

  it('enters an export in the pending list before putting it while others are pending, then retires them', async () => {
    const live = sqsRecord('p-1', 0, { name: 'newest' });
    const state = fakeState({
      destinations: marked,
      entries: { [KEY('p-1')]: { ...EMPTY_ENTRY, pending: ['dead-lettered'] } },
    });
    kinesisAnswering(() => undefined, state.log);

    await exportBatch([live], deps(state), time);

    const id = exportIdOf(live);
    expect(state.log.filter((l) => !l.startsWith('read'))).toEqual([
      `write ${KEY('p-1')} pending=[dead-lettered,${id}] retired=[]`,
      'put p-1:newest',
      `write ${KEY('p-1')} pending=[] retired=[dead-lettered,${id}]`,
    ]);
  });

  it('enters a retried message in the pending list, and marks its destination, before putting it (its last attempt may have left no trace)', async () => {
    const retried = sqsRecord('p-1', 0, { receiveCount: 2 });
    const state = fakeState();
    kinesisAnswering(() => undefined, state.log);

    await exportBatch([retried], deps(state), time);

    const id = exportIdOf(retried);
    const writes = state.log.filter((l) => !l.startsWith('read'));
    expect(writes.slice(0, 2).sort()).toEqual([
      'mark marketing',
      `write ${KEY('p-1')} pending=[${id}] retired=[]`,
    ]);
    expect(writes.slice(2)).toEqual(['put p-1:v0', `write ${KEY('p-1')} pending=[] retired=[${id}]`]);
    expect(state.stats.entryReads).toBe(1);
  });

  it('writes the ledger again after a short state-table outage, rather than have a put repeated', async () => {
    kinesisAnswering(() => undefined);
    const redriven = sqsRecord('p-1', 0);
    const state = fakeState({
      destinations: marked,
      entries: { [KEY('p-1')]: { ...EMPTY_ENTRY, pending: [exportIdOf(redriven)] } },
    });
    const write = state.writeLedgerEntries;
    let failures = 1;
    const d = deps({
      ...state,
      writeLedgerEntries: async (entries) => {
        if (failures-- > 0) throw Object.assign(new Error('connection refused'), { name: 'ECONNREFUSED' });
        await write(entries);
      },
    });

    const result = await exportBatch([redriven], d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(state.entry('marketing', 'p-1')?.retired).toEqual([exportIdOf(redriven)]);
  });

  it('answers a put whose ledger write keeps failing as failed, so it is put again and recorded then', async () => {
    kinesisAnswering(() => undefined);
    const redriven = sqsRecord('p-1', 0);
    const state = fakeState({
      destinations: marked,
      entries: { [KEY('p-1')]: { ...EMPTY_ENTRY, pending: [exportIdOf(redriven)] } },
    });
    const d = deps({
      ...state,
      writeLedgerEntries: async () => {
        throw Object.assign(new Error('connection refused'), { name: 'ECONNREFUSED' });
      },
    });

    const result = await exportBatch([redriven], d, time);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: redriven.messageId }]);
  });
});

describe('exportBatch(): attempts and dead letters', () => {
  it('counts a failed put as one real attempt, whatever the receive count, and keeps the message', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream profile-exports not found', $metadata: {} }));
    // Received three times, but held back twice behind an earlier message: this is its first attempt.
    const record = sqsRecord('p-1', 1, { receiveCount: 3 });
    const d = deps();

    const result = await exportBatch([record], d, time);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(d.state.failures).toEqual([
      expect.objectContaining({
        profileId: 'p-1',
        code: 'ResourceNotFoundException',
        attempts: 1,
        lastFailureAt: 1_500,
      }),
    ]);
    expect(d.metrics.totals.get('RecordsDeadLettered') ?? 0).toBe(0);
    expect(d.queue.moves).toEqual([]);
  });

  it('moves a message after its third real attempt to the DLQ with its failure as attributes, then goes on with its profile', async () => {
    const queue = fakeQueue();
    kinesisAnswering((_key, data) => (names(data) === 'v1' ? 'InternalFailure' : undefined), queue.log);
    const doomed = sqsRecord('p-1', 1, { receiveCount: 7 });
    const later = sqsRecord('p-1', 2, { receiveCount: 7 });
    const state = fakeState();
    failedBefore(state, doomed, 2);
    const d = deps(state, queue);

    const result = await exportBatch([doomed, later], d, time);

    // Not reported to SQS: it has left the queue. The later export of the profile follows it.
    expect(result.batchItemFailures).toEqual([]);
    expect(queue.log.filter((l) => !l.startsWith('put p-1:v1'))).toEqual([
      `move ${doomed.receiptHandle}`,
      'put p-1:v2',
    ]);
    const [move] = queue.moves;
    expect(move).toMatchObject({ body: doomed.body, groupId: messageGroupIdFor('marketing', 'p-1') });
    expect(readDeadLetterReason(move?.attributes)).toEqual({
      errorCode: 'InternalFailure',
      errorMessage: 'InternalFailure',
      attempts: 3,
      retryable: true,
      firstFailureAt: 700,
      lastFailureAt: 1_500,
      destinationId: 'marketing',
      exportId: exportIdOf(doomed),
    });
    expect(d.metrics.totals.get('RecordsDeadLettered')).toBe(1);
    // Pending, then retired by the later delivery: a redrive of it is skipped.
    expect(state.entry('marketing', 'p-1')?.retired).toEqual([exportIdOf(doomed), exportIdOf(later)]);
  });

  it('moves a message whose attempts were used (its move failed before) without putting it again', async () => {
    kinesisAnswering(() => undefined);
    const doomed = sqsRecord('p-1', 1, { receiveCount: 4 });
    const state = fakeState();
    failedBefore(state, doomed, 3);
    const d = deps(state);

    const result = await exportBatch([doomed], d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(putCalls).toEqual([]);
    expect(readDeadLetterReason(d.queue.moves[0]?.attributes)).toMatchObject({
      errorCode: 'InternalFailure',
      attempts: 3,
    });
  });

  it('counts attempts per life of the message: a redriven copy (a new message id) starts again', async () => {
    kinesisAnswering(() => 'InternalFailure');
    const redriven = sqsRecord('p-1', 1, { receiveCount: 2 });
    const state = fakeState();
    failedBefore(state, redriven, 3, 'the message before the redrive');
    const d = deps(state);

    const result = await exportBatch([redriven], d, time);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: redriven.messageId }]);
    expect(d.state.failures.map((f) => f.attempts)).toEqual([1]);
  });

  it('keeps a message whose move fails, and the later ones of its profile, in the queue', async () => {
    kinesisAnswering((_key, data) => (names(data) === 'v1' ? 'InternalFailure' : undefined));
    const doomed = sqsRecord('p-1', 1, { receiveCount: 3 });
    const later = sqsRecord('p-1', 2, { receiveCount: 3 });
    const state = fakeState();
    failedBefore(state, doomed, 2);
    const d = deps(state, fakeQueue({ sendFails: true }));

    const result = await exportBatch([doomed, later], d, time);

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      doomed.messageId,
      later.messageId,
    ]);
    expect(putCalls.flat().map((r) => names(r.data))).not.toContain('v2');
    expect(d.state.entry('marketing', 'p-1')?.pending).toEqual([exportIdOf(doomed)]);
  });

  it('dead-letters a message that is not an export message at once, not retryable, and its group goes on', async () => {
    kinesisAnswering(() => undefined);
    const broken = sqsRecord('p-1', 1, { body: '{"v":1}' });
    const next = sqsRecord('p-1', 2);
    const d = deps();

    const result = await exportBatch([broken, next], d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(putCalls.flat().map((r) => names(r.data))).toEqual(['v2']);
    expect(readDeadLetterReason(d.queue.moves[0]?.attributes)).toMatchObject({
      errorCode: 'InvalidMessage',
      retryable: false,
      attempts: undefined,
    });
  });

  it('isolates a profile id Kinesis would refuse: the others are put, it alone is dead-lettered at once as InvalidRecord', async () => {
    kinesisAnswering(() => undefined);
    const healthy = ['p-1', 'p-2', 'p-3', 'p-4'].map((id) => sqsRecord(id, 1));
    const poison = sqsRecord(EMOJI.repeat(130), 1);
    const d = deps();

    const result = await exportBatch([healthy[0], poison, ...healthy.slice(1)] as typeof healthy, d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(putCalls.flat().map((r) => r.partitionKey)).toEqual(['p-1', 'p-2', 'p-3', 'p-4']);
    expect(d.queue.moves.map((m) => m.receiptHandle)).toEqual([poison.receiptHandle]);
    expect(readDeadLetterReason(d.queue.moves[0]?.attributes)).toMatchObject({
      errorCode: 'InvalidRecord',
      retryable: false,
      attempts: 1,
      errorMessage: expect.stringMatching(/260 UTF-16 code units/),
    });
  });

  it('isolates an entry a PutRecords call refuses as a whole (ValidationException), and puts the rest', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      const records = input.Records ?? [];
      const bad = records.findIndex((r) => r.PartitionKey === 'p-bad');
      putCalls.push(records.map((r) => ({ partitionKey: r.PartitionKey as string, data: '' })));
      if (bad >= 0)
        throw Object.assign(
          new Error(`Value at 'records.${bad + 1}.member.data' failed to satisfy constraint`),
          {
            name: 'ValidationException',
            $metadata: { httpStatusCode: 400 },
          },
        );
      return {
        FailedRecordCount: 0,
        Records: records.map((_, i) => ({ SequenceNumber: `${i}`, ShardId: 's' })),
      };
    });
    const batch = ['p-1', 'p-bad', 'p-2', 'p-3'].map((id) => sqsRecord(id, 1));
    const d = deps();

    const result = await exportBatch(batch, d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(d.metrics.totals.get('RecordsPut')).toBe(3);
    expect(d.queue.moves.map((m) => m.receiptHandle)).toEqual([batch[1]?.receiptHandle]);
    expect(readDeadLetterReason(d.queue.moves[0]?.attributes)).toMatchObject({
      errorCode: 'InvalidRecord',
      retryable: false,
    });
  });

  it('puts nothing and reports every message when the delivery ledger cannot be read; moves one on its last receive', async () => {
    kinesisAnswering(() => undefined);
    const state = fakeState();
    state.breakDown();
    const records = [sqsRecord('p-1', 1), sqsRecord('p-2', 1, { receiveCount: 31 })];
    const d = deps(state);

    const result = await exportBatch(records, d, time);

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[0]?.messageId]);
    expect(putCalls).toEqual([]);
    expect(readDeadLetterReason(d.queue.moves[0]?.attributes)?.errorCode).toBe('StateTableUnavailable');
  });

  it('notes a message held back on its last receive as pending, with a failure record that is not an attempt', async () => {
    kinesisAnswering(() => 'InternalFailure');
    const head = sqsRecord('p-1', 1, { receiveCount: 5 });
    const held = sqsRecord('p-1', 2, { receiveCount: 31 });
    const d = deps();

    const result = await exportBatch([head, held], d, time);

    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([head.messageId, held.messageId]);
    expect(d.state.entry('marketing', 'p-1')?.pending).toEqual([exportIdOf(head), exportIdOf(held)]);
    expect(d.state.failures.map((f) => [f.exportId, f.code, f.attempts])).toEqual([
      [exportIdOf(head), 'InternalFailure', 1],
      [exportIdOf(held), 'PrecedingExportFailed', 0],
    ]);
    expect(d.metrics.totals.get('RecordsDeadLettered')).toBe(1);
  });
});

describe('startExport(): the deadline', () => {
  it("answers at Middy's deadline with what is done, aborts the call in flight, and changes nothing after", async () => {
    const controller = new AbortController();
    kinesisAnswering((partitionKey) =>
      partitionKey === 'p-2' ? 'ProvisionedThroughputExceededException' : undefined,
    );
    const done = sqsRecord('p-1', 1);
    const stuck = sqsRecord('p-2', 1);
    const d = deps();
    let backoffStarted: () => void = () => undefined;
    const backingOff = new Promise<void>((resolve) => {
      backoffStarted = resolve;
    });

    const running = startExport(
      [done, stuck],
      {
        ...d,
        // The backoff before the retry of p-2 never ends: only the deadline answers.
        sleep: () => {
          backoffStarted();
          return new Promise(() => undefined);
        },
      },
      {
        remainingMs: () => 10_000,
        signal: controller.signal,
      },
    );
    await backingOff;
    controller.abort();
    const answer = running.answerNow();

    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: stuck.messageId }]);
    expect(running.answerNow()).toBe(answer);
    expect(d.metrics.totals.get('RecordsPut')).toBe(1);
  });
});

describe('exportBatch(): credentials', () => {
  it('refreshes credentials AWS refused once, and puts the entries again with fresh ones', async () => {
    const refused = Object.assign(new Error('The security token included in the request is invalid.'), {
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 400 },
    });
    kinesis
      .on(PutRecordsCommand)
      .rejectsOnce(refused)
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 'shardId-0' }] });
    let refreshes = 0;
    const d = deps(fakeState(), fakeQueue(), { refresh: () => ++refreshes > 0 });

    const result = await exportBatch([sqsRecord('p-1', 1)], d, time);

    expect(result.batchItemFailures).toEqual([]);
    expect(refreshes).toBe(1);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
  });

  it('refreshes at most once per invocation, and not at all for the function’s own credentials', async () => {
    const refused = Object.assign(new Error('The security token included in the request is expired'), {
      name: 'ExpiredTokenException',
      $metadata: { httpStatusCode: 400 },
    });
    kinesis.on(PutRecordsCommand).rejects(refused);
    let refreshes = 0;
    const d = deps(fakeState(), fakeQueue(), { refresh: () => ++refreshes > 0 });

    const result = await exportBatch([sqsRecord('p-1', 1), sqsRecord('p-1', 2)], d, time);
    expect(result.batchItemFailures).toHaveLength(2);
    expect(refreshes).toBe(1);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);

    kinesis.resetHistory();
    await exportBatch([sqsRecord('p-1', 1)], deps(), time);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
  });

  it('takes credential material out of a failure before it is recorded or attached to a dead letter', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const refused = Object.assign(
      new Error(`The request signature we calculated does not match: ${secret} AKIAIOSFODNN7EXAMPLE`),
      { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } },
    );
    kinesis.on(PutRecordsCommand).rejects(refused);
    const doomed = sqsRecord('p-1', 1, { receiveCount: 3 });
    const state = fakeState();
    failedBefore(state, doomed, 2);
    const d = deps(state, fakeQueue(), { redact: (text) => redactCredentials(text, [secret]) });

    await exportBatch([doomed], d, time);

    const recorded = JSON.stringify([d.state.failures, d.queue.moves]);
    expect(d.queue.moves).toHaveLength(1);
    expect(recorded).toContain('InvalidSignatureException');
    expect(recorded).not.toContain(secret);
    expect(recorded).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});

describe('exportBatch(): backfill windows', () => {
  it('records live deliveries while a backfill window is open, and skips a backfill export scanned before one of them', async () => {
    kinesisAnswering(() => undefined);
    const state = fakeState({ destinations: { marketing: { windowUntil: 10_000 } } });
    const live = sqsRecord('p-1', 0, { sourceTime: 1_200, name: 'live' });

    await exportBatch([live], deps(state), time);
    expect(state.live).toEqual([{ key: KEY('p-1'), sourceTime: 1_200, profileVersion: 0 }]);

    const stale = sqsRecord('p-1', 0, { backfill: true, sourceTime: 1_100, name: 'stale backfill' });
    const fresh = sqsRecord('p-2', 0, { backfill: true, sourceTime: 1_100, name: 'fresh backfill' });
    const d = deps(state);
    await exportBatch([stale, fresh], d, time);

    expect(putCalls.flat().map((r) => names(r.data))).toEqual(['live', 'fresh backfill']);
    expect(d.metrics.totals.get('ExportsSuperseded')).toBe(1);
    // Backfill exports still flowing keep the window open.
    expect(state.windows).toEqual([{ destinationId: 'marketing', until: 1_500 + BACKFILL_WINDOW_GRACE_MS }]);
  });
});
