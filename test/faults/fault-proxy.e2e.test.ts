import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.js';
import { type Kinesalite, kinesisClient, startKinesalite } from './emulators.js';

const STREAM = 'proxy-test';
let emulator: Kinesalite;
let proxy: FaultProxy;
let direct: KinesisClient;
let viaProxy: KinesisClient;

async function readAll(): Promise<string[]> {
  const { ShardIterator } = await direct.send(
    new GetShardIteratorCommand({
      StreamName: STREAM,
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const out: string[] = [];
  let iterator = ShardIterator;
  for (let page = 0; page < 50 && iterator !== undefined; page++) {
    const result = await direct.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of result.Records ?? []) out.push(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'));
    if ((result.Records ?? []).length === 0) break;
    iterator = result.NextShardIterator;
  }
  return out;
}

function entries(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    Data: Buffer.from(`${prefix}-${i}`),
    PartitionKey: `pk-${i}`,
  }));
}

beforeAll(async () => {
  emulator = await startKinesalite();
  proxy = await startFaultProxy({ target: emulator.url, seed: 3 });
  direct = kinesisClient(emulator.url);
  viaProxy = kinesisClient(proxy.url, { maxAttempts: 1, requestTimeoutMs: 1_000 });
  await direct.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
});

afterAll(async () => {
  viaProxy?.destroy();
  direct?.destroy();
  await proxy?.close();
  await emulator?.close();
});

describe('startFaultProxy()', () => {
  it('fails the chosen share of entries and writes only the others, in order', async () => {
    proxy.setFault({ kind: 'fail-entries', share: 0.3, errorCode: 'mixed' });
    const result = await viaProxy.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: entries('a', 200) }),
    );
    const failed = (result.Records ?? []).filter((r) => r.ErrorCode !== undefined);
    expect(result.FailedRecordCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(30);
    expect(failed.length).toBeLessThan(90);
    expect(new Set(failed.map((r) => r.ErrorCode))).toEqual(
      new Set(['ProvisionedThroughputExceededException', 'InternalFailure']),
    );
    const accepted = (result.Records ?? []).flatMap((r, i) => (r.ErrorCode === undefined ? [`a-${i}`] : []));
    expect(await readAll()).toEqual(accepted);
    expect(proxy.stats()).toMatchObject({ putRecordsCalls: 1, entries: 200, entriesFailed: failed.length });
  });

  it('answers 5xx, drops and hangs without forwarding, and recovers when switched off', async () => {
    const before = (await readAll()).length;
    proxy.setFault({ kind: 'http-error', status: 503 });
    await expect(
      viaProxy.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries('b', 3) })),
    ).rejects.toThrow();
    proxy.setFault({ kind: 'drop' });
    await expect(
      viaProxy.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries('c', 3) })),
    ).rejects.toThrow();
    proxy.setFault({ kind: 'hang' });
    await expect(
      viaProxy.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries('d', 3) })),
    ).rejects.toThrow();
    expect((await readAll()).length).toBe(before);
    proxy.setFault({ kind: 'none' });
    const ok = await viaProxy.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries('e', 3) }));
    expect(ok.FailedRecordCount).toBe(0);
    expect((await readAll()).slice(before)).toEqual(['e-0', 'e-1', 'e-2']);
    expect(proxy.stats()).toMatchObject({ httpErrors: 1, dropped: 1, hung: 1 });
  });

  it('writes the records but answers late when stalling after forwarding', async () => {
    const before = (await readAll()).length;
    proxy.setFault({ kind: 'stall', ms: 1_500, phase: 'after' });
    await expect(
      viaProxy.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries('f', 2) })),
    ).rejects.toThrow();
    expect((await readAll()).slice(before)).toEqual(['f-0', 'f-1']);
    proxy.setFault({ kind: 'none' });
  });
});
