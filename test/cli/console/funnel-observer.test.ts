import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ObservedFunnelSource } from '../../../cli/console/funnel-source.js';
import { PipelineObserver } from '../../../cli/console/pipeline-observer.js';
import { exportMessage, exportQueueRecord, sqsEvent, streamRecord } from '../../helpers/factories.js';

const CONTEXT = {} as Context;

/** An observer counting into a funnel of marketing and analytics, at a clock the test moves. */
function observed() {
  const clock = { now: 10_000 };
  const funnel = new ObservedFunnelSource(
    () => ['marketing', 'analytics'],
    () => clock.now,
  );
  const observer = new PipelineObserver(
    (event) => funnel.record(event),
    () => clock.now,
  );
  const decide = observer.wrapHandlers.decide(async () => 'decided');
  const exporter = observer.wrapHandlers.export(async () => ({ batchItemFailures: [] }));
  return { clock, funnel, observer, decide, exporter };
}

describe('PipelineObserver', () => {
  it('passes the event and the answer through the handlers unchanged', async () => {
    const { decide } = observed();
    const event: DynamoDBStreamEvent = { Records: [streamRecord({ eventId: 'e-1' })] };

    await expect(decide(event, CONTEXT)).resolves.toBe('decided');
  });

  it('labels a record with the reasons of the export whose document it is', async () => {
    const { observer, exporter } = observed();
    const queued = exportMessage({
      profileId: 'p-1',
      reasons: ['segment-membership', 'identity-map'],
      queuedAt: 9_000,
    });

    await exporter(sqsEvent([exportQueueRecord({ message: queued })]), CONTEXT);

    expect(observer.exportOf('marketing', 'p-1', queued.message.documentJson)).toMatchObject({
      reasons: ['segment-membership', 'identity-map'],
      queuedAt: 9_000,
      firstAttempt: true,
    });
    expect(observer.exportOf('analytics', 'p-1', queued.message.documentJson)).toBeUndefined();
    expect(observer.exportOf('marketing', 'p-1', `${queued.message.documentJson} `)).toBeUndefined();
  });

  it('counts a message received again as retried, and as redriven once it was dead-lettered', async () => {
    const { funnel, observer, exporter } = observed();
    const queued = exportMessage({ profileId: 'p-1' });
    const record = exportQueueRecord({ message: queued });

    await exporter(sqsEvent([record]), CONTEXT);
    await exporter(sqsEvent([record]), CONTEXT);
    observer.sawDeadLetters([
      { messageId: 'dlq-1', exportId: queued.message.exportId, destinationId: 'marketing' },
    ]);
    observer.sawDeadLetters([
      { messageId: 'dlq-1', exportId: queued.message.exportId, destinationId: 'marketing' },
    ]);
    await exporter(sqsEvent([record]), CONTEXT);

    const [marketing] = (await funnel.funnel({ sinceMs: 60_000, destination: 'marketing' })).destinations;
    expect(marketing).toMatchObject({
      exported: { 'mapped-attribute': 1 },
      retried: 1,
      deadLettered: 1,
      redriven: 1,
    });
    expect(observer.exportOf('marketing', 'p-1', queued.message.documentJson)?.firstAttempt).toBe(false);
  });

  it('counts each stream record once as evaluated, for every destination', async () => {
    const { funnel, decide } = observed();
    const records = [streamRecord({ eventId: 'e-1' }), streamRecord({ eventId: 'e-2' })];

    await decide({ Records: records }, CONTEXT);
    await decide({ Records: records }, CONTEXT);

    const report = await funnel.funnel({ sinceMs: 60_000 });
    expect(report.destinations.map((d) => [d.id, d.evaluated])).toEqual([
      ['marketing', 2],
      ['analytics', 2],
    ]);
  });
});

describe('ObservedFunnelSource', () => {
  it('answers with the status --json shape, counting only the window', async () => {
    const { clock, funnel } = observed();
    funnel.record({ t: 1_000, kind: 'delivered', destination: 'marketing', latencyMs: 5_000 });
    funnel.record({ t: 9_000, kind: 'delivered', destination: 'marketing', latencyMs: 100 });
    funnel.record({ t: 9_500, kind: 'delivered', destination: 'marketing', latencyMs: 300 });
    funnel.record({ t: 9_600, kind: 'delivered', destination: 'marketing' });
    funnel.record({ t: 9_700, kind: 'exported', destination: 'analytics', reason: 'backfill' });
    clock.now = 10_000;

    const report = await funnel.funnel({ sinceMs: 5_000 });

    expect(report.window).toEqual({
      from: new Date(5_000).toISOString(),
      to: new Date(10_000).toISOString(),
    });
    expect(report.destinations[0]).toEqual({
      id: 'marketing',
      evaluated: 0,
      exported: {},
      skipped: {},
      rejected: {},
      delivered: 3,
      retried: 0,
      deadLettered: 0,
      redriven: 0,
      latencyMs: { p50: 100, p95: 300, max: 300 },
      alarms: [],
    });
    expect(report.destinations[1]).toMatchObject({
      id: 'analytics',
      exported: { backfill: 1 },
      delivered: 0,
    });
    expect(report.destinations[1]?.latencyMs).toEqual({ p50: null, p95: null, max: null });
  });

  it('answers for one destination when asked', async () => {
    const { funnel } = observed();

    const report = await funnel.funnel({ sinceMs: 1_000, destination: 'analytics' });

    expect(report.destinations.map((d) => d.id)).toEqual(['analytics']);
  });
});
