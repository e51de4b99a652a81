import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportMessageSchema, readExportMessage } from '../../../core/export-message.js';
import { type DecideDependencies, decideBatch } from '../../../lambdas/decide/decide-batch.js';
import { compiledConfig, member, membership, SEG, streamRecord } from '../../helpers/factories.js';
import { logRecorder, metricRecorder } from '../../helpers/recorders.js';

const EXPORTS = 'https://sqs.local/000000000000/export.fifo';
const REJECTS = 'https://sqs.local/000000000000/rejects';
const sqs = mockClient(SQSClient);

/** John qualifying for the mapped DeLorean segment: one export to `marketing`. */
const qualifies = (profileId: string) =>
  streamRecord({
    oldImage: member({}, { profileId }),
    newImage: member({ [SEG.delorean]: membership('realized') }, { profileId }),
  });

interface Sent {
  queue: string;
  bodies: Record<string, unknown>[];
  groups: (string | undefined)[];
}
let sent: Sent[];
let failWhen: (input: SendMessageBatchCommandInput, call: number) => 'throw' | string[] | undefined;

function deps(overrides: Partial<DecideDependencies> = {}): DecideDependencies & {
  metrics: ReturnType<typeof metricRecorder>;
  logger: ReturnType<typeof logRecorder>;
} {
  return {
    compiled: compiledConfig(),
    sqs: new SQSClient({ region: 'us-east-1' }),
    exportQueueUrl: EXPORTS,
    rejectsQueueUrl: REJECTS,
    metrics: metricRecorder(),
    logger: logRecorder(),
    now: () => 1_700_000_001_000,
    sendOptions: { sleep: async () => undefined, maxAttempts: 2 },
    ...overrides,
  } as never;
}

beforeEach(() => {
  sqs.reset();
  sent = [];
  failWhen = () => undefined;
  let call = 0;
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    call++;
    const failure = failWhen(input, call);
    if (failure === 'throw') throw new Error('connection reset');
    const failedIds = new Set(failure ?? []);
    const ok = (input.Entries ?? []).filter((e) => !failedIds.has(e.Id as string));
    sent.push({
      queue: input.QueueUrl as string,
      bodies: ok.map((e) => readExportMessage(e.MessageBody as string) as Record<string, unknown>),
      groups: ok.map((e) => e.MessageGroupId),
    });
    return {
      Successful: ok.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
      Failed: [...failedIds].map((Id) => ({ Id, Code: 'InternalError', SenderFault: false })),
    };
  });
});

const exportsSent = () => sent.filter((s) => s.queue === EXPORTS).flatMap((s) => s.bodies);
const rejectsSent = () => sent.filter((s) => s.queue === REJECTS).flatMap((s) => s.bodies);

describe('decideBatch()', () => {
  it('queues a valid export envelope per exported destination, grouped by destination and profile', async () => {
    const result = await decideBatch([qualifies('p-1')], deps());

    expect(result.batchItemFailures).toEqual([]);
    const [message] = exportsSent();
    expect(exportMessageSchema.parse(message)).toMatchObject({
      destinationId: 'marketing',
      profileId: 'p-1',
      reasons: ['segment-membership'],
      sourceTime: 1_700_000_000_000,
    });
    expect(sent[0]?.groups).toEqual(['marketing:p-1']);
  });

  it('never puts two messages of one profile in one SendMessageBatch call, keeping their order', async () => {
    const first = qualifies('p-1');
    const second = streamRecord({
      oldImage: member({ [SEG.delorean]: membership('realized') }, { profileId: 'p-1' }),
      newImage: member({ [SEG.delorean]: membership('exited') }, { profileId: 'p-1' }),
    });

    await decideBatch([first, second, qualifies('p-2')], deps());

    expect(sent.map((s) => s.groups)).toEqual([['marketing:p-1'], ['marketing:p-1', 'marketing:p-2']]);
  });

  it('sends a poison record to the rejects queue with the full record and the reason, and goes on', async () => {
    const poison = streamRecord({ newImage: { profileId: 'p-9', identityMap: { ecid: 'not a list' } } });
    const good = qualifies('p-1');

    const d = deps();
    const result = await decideBatch([poison, good], d);

    expect(result.batchItemFailures).toEqual([]);
    expect(exportsSent()).toHaveLength(1);
    expect(rejectsSent()).toEqual([
      expect.objectContaining({
        code: 'INVALID_RECORD',
        reason: expect.stringContaining('dynamodb.NewImage.identityMap.ecid'),
        record: poison,
        eventId: poison.eventID,
      }),
    ]);
    expect(d.metrics.totals.get('Rejects')).toBe(1);
  });

  it('rejects an export over 1 MiB with the reason, naming the destination', async () => {
    const huge = streamRecord({
      newImage: member(
        { [SEG.delorean]: membership('realized') },
        { person: { name: { firstName: 'x'.repeat(1024 * 1024) } } },
      ),
    });

    await decideBatch([huge], deps());

    expect(rejectsSent()).toEqual([
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', destinationId: 'marketing' }),
    ]);
    expect(exportsSent()).toEqual([]);
  });

  it('retries entries a batch call reports as failed, alone', async () => {
    failWhen = (input, call) => (call === 1 ? [input.Entries?.[1]?.Id as string] : undefined);

    const result = await decideBatch([qualifies('p-1'), qualifies('p-2'), qualifies('p-3')], deps());

    expect(result.batchItemFailures).toEqual([]);
    expect(sent.map((s) => s.bodies.map((b) => b.profileId))).toEqual([['p-1', 'p-3'], ['p-2']]);
  });

  it('stops at a record whose exports cannot be queued and reports it and every later record', async () => {
    const records = [qualifies('p-1'), qualifies('p-2'), qualifies('p-3'), qualifies('p-4')];
    failWhen = (input) =>
      (input.Entries ?? []).some((e) => JSON.parse(e.MessageBody as string).profileId === 'p-3')
        ? 'throw'
        : undefined;

    const result = await decideBatch(
      records,
      deps({ sendOptions: { sleep: async () => undefined, maxAttempts: 2 } }),
    );

    // All four exports were in one failing call: nothing was queued, and the checkpoint is the first record.
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      records.map((r) => r.dynamodb?.SequenceNumber),
    );
  });

  it('checkpoints at the first record of the failing call, not before', async () => {
    const p1a = qualifies('p-1');
    const p1b = streamRecord({
      oldImage: member({ [SEG.delorean]: membership('realized') }, { profileId: 'p-1' }),
      newImage: member({ [SEG.delorean]: membership('exited') }, { profileId: 'p-1' }),
    });
    const p2 = qualifies('p-2');
    failWhen = (_input, call) => (call >= 2 ? 'throw' : undefined);

    const result = await decideBatch([p1a, p1b, p2], deps());

    // p1a went out alone in the first call; p1b (same profile) could not follow: checkpoint at p1b.
    expect(exportsSent().map((b) => b.profileId)).toEqual(['p-1']);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      p1b.dynamodb?.SequenceNumber,
      p2.dynamodb?.SequenceNumber,
    ]);
  });

  it('counts the funnel of each destination: evaluated, exported by first reason, skipped, rejected', async () => {
    const d = deps();

    await decideBatch(
      [
        qualifies('p-1'),
        streamRecord({
          oldImage: member({}),
          newImage: member({ [SEG.backToTheFuture]: membership('realized') }),
        }),
        { eventID: 'no-images', eventName: 'MODIFY', dynamodb: { SequenceNumber: '900' } },
      ],
      d,
    );

    expect(d.metrics.totals.get('ProfilesEvaluated')).toBe(2);
    expect(d.metrics.totals.get('ExportsQueued')).toBe(1);
    expect(Object.fromEntries(d.metrics.funnelTotals)).toEqual({
      'marketing:FunnelEvaluated': 3,
      'marketing:FunnelExportedSegment': 1,
      'marketing:FunnelSkippedNoChange': 1,
      'marketing:FunnelRejectedInvalidRecord': 1,
    });
  });

  it('counts a record rejected as a whole for every destination', async () => {
    const d = deps({ compiled: compiledConfig([{}, { id: 'crm' }]) });

    await decideBatch(
      [{ eventID: 'no-images', eventName: 'MODIFY', dynamodb: { SequenceNumber: '900' } }],
      d,
    );

    expect(Object.fromEntries(d.metrics.funnelTotals)).toEqual({
      'marketing:FunnelEvaluated': 1,
      'marketing:FunnelRejectedInvalidRecord': 1,
      'crm:FunnelEvaluated': 1,
      'crm:FunnelRejectedInvalidRecord': 1,
    });
  });

  it('emits one funnel document per destination per invocation, not one log line per export', async () => {
    const d = deps();

    await decideBatch([qualifies('p-1'), qualifies('p-2'), qualifies('p-3')], d);

    expect(d.metrics.totals.get('ExportsQueued')).toBe(3);
    expect(d.metrics.funnelTotals.get('marketing:FunnelExportedSegment')).toBe(3);
    expect(d.metrics.funnelDocuments()).toBe(1);
    expect(d.metrics.dimensionedDocuments()).toBe(0);
  });

  it('counts no funnel stage for records after the checkpoint (they are counted on retry)', async () => {
    const d = deps();
    failWhen = (input) => (input.QueueUrl === EXPORTS ? 'throw' : undefined);

    await decideBatch([qualifies('p-1'), qualifies('p-2')], d);

    expect(d.metrics.funnelDocuments()).toBe(0);
  });
});
