import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { chunkEntries, type PutEntry, putRecordsInChunks } from '../../../adapters/put-records.js';

const MiB = 1024 * 1024;
const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'us-east-1' });

function entry(key: string, dataBytes = 10, partitionKey = `p-${key}`): PutEntry {
  return { key, data: new Uint8Array(dataBytes), partitionKey };
}

/** A fake Kinesis that fails the entries whose partition key `failFor` picks, per attempt. */
function acceptExcept(failFor: (partitionKey: string, call: number) => string | undefined) {
  let call = 0;
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    call++;
    const records = (input.Records ?? []).map((r, i) => {
      const code = failFor(r.PartitionKey as string, call);
      return code === undefined
        ? { SequenceNumber: `${call}-${i}`, ShardId: 'shardId-000000000000' }
        : { ErrorCode: code, ErrorMessage: `${code} for ${r.PartitionKey}` };
    });
    return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records };
  });
}

const noWait = { sleep: async () => undefined, random: () => 0.5, remainingMs: () => 60_000 };

beforeEach(() => kinesis.reset());

describe('chunkEntries()', () => {
  it('puts at most 500 records in a call', () => {
    const chunks = chunkEntries(Array.from({ length: 1001 }, (_, i) => entry(String(i))));

    expect(chunks.map((c) => c.length)).toEqual([500, 500, 1]);
  });

  it('puts at most 5 MiB per call, partition keys included', () => {
    // Five records of exactly 1 MiB with their keys fill one call; the sixth starts the next.
    const key = 'k';
    const chunks = chunkEntries(Array.from({ length: 6 }, (_, i) => entry(String(i), MiB - key.length, key)));

    expect(chunks.map((c) => c.length)).toEqual([5, 1]);
  });

  it('counts the partition key towards the 5 MiB', () => {
    const chunks = chunkEntries(Array.from({ length: 5 }, (_, i) => entry(String(i), MiB, 'key')));

    expect(chunks.map((c) => c.length)).toEqual([4, 1]);
  });
});

describe('putRecordsInChunks()', () => {
  it('accepts a record of exactly 1 MiB with its partition key and refuses one just over', async () => {
    acceptExcept(() => undefined);

    const outcome = await putRecordsInChunks(
      [entry('exact', MiB - 3, 'p-1'), entry('over', MiB - 2, 'p-2')],
      {
        client,
        target: { StreamName: 's' },
        ...noWait,
      },
    );

    expect([...outcome.succeeded.keys()]).toEqual(['exact']);
    expect(outcome.failed.get('over')).toMatchObject({ code: 'InvalidRecord', retryable: false });
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records).toHaveLength(1);
  });

  it('makes ceil(n / 500) calls for n records without failures', async () => {
    acceptExcept(() => undefined);

    const outcome = await putRecordsInChunks(
      Array.from({ length: 1200 }, (_, i) => entry(String(i))),
      { client, target: { StreamName: 's' }, ...noWait },
    );

    expect(outcome.calls).toBe(3);
    expect(outcome.succeeded.size).toBe(1200);
  });

  it('resends only the failed entries, after a backoff, until they succeed', async () => {
    acceptExcept((key, call) =>
      call === 1 && (key === 'p-b' || key === 'p-d') ? 'ProvisionedThroughputExceededException' : undefined,
    );
    const delays: number[] = [];

    const outcome = await putRecordsInChunks(
      ['a', 'b', 'c', 'd'].map((k) => entry(k)),
      {
        client,
        target: { StreamName: 's' },
        ...noWait,
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
    );

    const calls = kinesis
      .commandCalls(PutRecordsCommand)
      .map((c) => c.args[0].input.Records?.map((r) => r.PartitionKey));
    expect(calls).toEqual([
      ['p-a', 'p-b', 'p-c', 'p-d'],
      ['p-b', 'p-d'],
    ]);
    expect(outcome.succeeded.size).toBe(4);
    expect(outcome.throttledEntries).toBe(2);
    expect(outcome.retriedEntries).toBe(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThan(0);
  });

  it('draws each backoff with full jitter below an exponentially growing cap', async () => {
    acceptExcept(() => 'InternalFailure');
    const delays: number[] = [];

    await putRecordsInChunks([entry('a')], {
      client,
      target: { StreamName: 's' },
      remainingMs: () => 60_000,
      random: () => 0.999,
      sleep: async (ms) => {
        delays.push(ms);
      },
      limits: { baseBackoffMs: 100, maxBackoffMs: 1_000, maxAttempts: 6 },
    });

    expect(delays).toEqual([199, 399, 799, 999, 999]);
  });

  it('stops retrying when the time budget would be overrun, and reports the entry with its last error', async () => {
    acceptExcept(() => 'ProvisionedThroughputExceededException');
    let budget = 150;

    const outcome = await putRecordsInChunks([entry('a')], {
      client,
      target: { StreamName: 's' },
      remainingMs: () => budget,
      random: () => 0.999,
      sleep: async (ms) => {
        budget -= ms;
      },
      limits: { baseBackoffMs: 50, maxBackoffMs: 1_000 },
    });

    expect(outcome.failed.get('a')?.code).toBe('ProvisionedThroughputExceededException');
    expect(outcome.calls).toBe(2);
  });

  it('fails entries with a non-retryable error code at once', async () => {
    acceptExcept((key) => (key === 'p-a' ? 'KMSAccessDeniedException' : undefined));

    const outcome = await putRecordsInChunks([entry('a'), entry('b')], {
      client,
      target: { StreamName: 's' },
      ...noWait,
    });

    expect(outcome.failed.get('a')?.code).toBe('KMSAccessDeniedException');
    expect(outcome.calls).toBe(1);
  });

  it('treats a missing stream as a failure of every entry, not a crash, and does not retry it in the invocation', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream s not found', $metadata: {} }));

    const outcome = await putRecordsInChunks([entry('a'), entry('b')], {
      client,
      target: { StreamName: 's' },
      ...noWait,
    });

    expect([...outcome.failed.values()].map((f) => f.code)).toEqual([
      'ResourceNotFoundException',
      'ResourceNotFoundException',
    ]);
    expect(outcome.calls).toBe(1);
  });

  it('never reports an entry both delivered and failed, and never drops one', async () => {
    acceptExcept((key, call) => (Number(key.slice(2)) % 3 === call % 3 ? 'InternalFailure' : undefined));
    const entries = Array.from({ length: 30 }, (_, i) => entry(String(i)));

    const outcome = await putRecordsInChunks(entries, { client, target: { StreamName: 's' }, ...noWait });

    for (const e of entries) expect(outcome.succeeded.has(e.key) !== outcome.failed.has(e.key)).toBe(true);
  });

  it('fails a partition key Kinesis would refuse before any call, alone: 130 emoji are 260 UTF-16 units', async () => {
    acceptExcept(() => undefined);

    const outcome = await putRecordsInChunks([entry('a'), entry('emoji', 10, '\u{1F600}'.repeat(130))], {
      client,
      target: { StreamName: 's' },
      ...noWait,
    });

    expect([...outcome.succeeded.keys()]).toEqual(['a']);
    expect(outcome.failed.get('emoji')).toMatchObject({
      code: 'InvalidRecord',
      retryable: false,
      message: expect.stringMatching(/260 UTF-16 code units/),
    });
  });

  it('splits a call refused as a whole for one record, puts the others, and fails only that one as InvalidRecord', async () => {
    // Kinesis validates the whole request: one bad entry refuses the call (nothing is written).
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      const records = input.Records ?? [];
      const bad = records.findIndex((r) => r.PartitionKey === 'p-bad');
      if (bad >= 0) {
        throw Object.assign(
          new Error(
            `1 validation error detected: Value at 'records.${bad + 1}.member.partitionKey' failed to satisfy constraint`,
          ),
          { name: 'ValidationException', $metadata: { httpStatusCode: 400 } },
        );
      }
      return {
        FailedRecordCount: 0,
        Records: records.map((_, i) => ({ SequenceNumber: `${i}`, ShardId: 's' })),
      };
    });
    const accepted: string[] = [];

    const outcome = await putRecordsInChunks(
      ['a', 'b', 'bad', 'c', 'd'].map((k) => entry(k)),
      { client, target: { StreamName: 's' }, ...noWait, onAccepted: (keys) => accepted.push(...keys) },
    );

    expect([...outcome.succeeded.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(accepted.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(outcome.failed.get('bad')).toMatchObject({
      code: 'InvalidRecord',
      retryable: false,
      message: expect.stringContaining('records.1.member.partitionKey'),
    });
    // 5 → 3 + 2; 3 → 2 + 1 (b alone is fine); 2 → the bad one alone: log-many calls, each entry accepted once.
    expect(outcome.calls).toBeLessThanOrEqual(7);
  });

  it('fails every entry of a call refused for a reason that names no record, as retryable, without splitting it', async () => {
    kinesis.on(PutRecordsCommand).rejects(
      Object.assign(
        new Error("1 validation error detected: Value at 'streamName' failed to satisfy constraint"),
        {
          name: 'ValidationException',
          $metadata: { httpStatusCode: 400 },
        },
      ),
    );

    const outcome = await putRecordsInChunks([entry('a'), entry('b')], {
      client,
      target: { StreamName: 's' },
      ...noWait,
    });

    expect(outcome.calls).toBe(1);
    expect([...outcome.failed.values()]).toEqual([
      expect.objectContaining({ code: 'ValidationException', retryable: true }),
      expect.objectContaining({ code: 'ValidationException', retryable: true }),
    ]);
  });

  it('reports the entries it never sent apart (not an attempt), when the time is gone before their call', async () => {
    acceptExcept(() => undefined);

    const outcome = await putRecordsInChunks([entry('a')], {
      client,
      target: { StreamName: 's' },
      ...noWait,
      remainingMs: () => 0,
    });

    expect(outcome.calls).toBe(0);
    expect([...outcome.notSent]).toEqual(['a']);
    expect(outcome.failed.get('a')?.code).toBe('TimeBudgetExhausted');
  });

  it("passes the caller's signal to the call in flight, and starts no call once it is aborted", async () => {
    const controller = new AbortController();
    kinesis.on(PutRecordsCommand).callsFake(() => {
      controller.abort();
      throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    });

    const outcome = await putRecordsInChunks(
      Array.from({ length: 600 }, (_, i) => entry(String(i))),
      { client, target: { StreamName: 's' }, ...noWait, signal: controller.signal },
    );

    const calls = kinesis.commandCalls(PutRecordsCommand);
    expect(calls).toHaveLength(1);
    expect((calls[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal });
    // The 500 of the aborted call were sent; the 100 of the second chunk never were.
    expect(outcome.notSent.size).toBe(100);
    expect(outcome.failed.size).toBe(600);
  });
});
