import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalMetricsFunnelSource } from '../../../cli/console/funnel-source.js';
import { PipelineObserver } from '../../../cli/console/pipeline-observer.js';
import { FUNNEL_METRIC } from '../../../core/metric-names.js';
import { MetricsStore } from '../../../local/metrics-store.js';
import { exportMessage, exportQueueRecord, sqsEvent, streamRecord } from '../../helpers/factories.js';

const CONTEXT = {} as Context;

function observed() {
  const observer = new PipelineObserver();
  const decide = observer.wrapHandlers.decide(async () => 'decided');
  const exporter = observer.wrapHandlers.export(async () => ({ batchItemFailures: [] }));
  return { observer, decide, exporter };
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
    });
    expect(observer.exportOf('analytics', 'p-1', queued.message.documentJson)).toBeUndefined();
    expect(observer.exportOf('marketing', 'p-1', `${queued.message.documentJson} `)).toBeUndefined();
  });
});

describe('LocalMetricsFunnelSource', () => {
  it("answers with the report of the local runtime's collected metrics, one entry per destination", async () => {
    const now = 1_700_000_000_000;
    const store = new MetricsStore(
      () => ['marketing', 'analytics'],
      () => now,
    );
    store.add('export', {
      _aws: {
        Timestamp: now - 1_000,
        CloudWatchMetrics: [
          {
            Namespace: 'KinesisDestination',
            Dimensions: [['service', 'destination']],
            Metrics: [{ Name: FUNNEL_METRIC.delivered }, { Name: FUNNEL_METRIC.latency }],
          },
        ],
      },
      destination: 'marketing',
      [FUNNEL_METRIC.delivered]: 2,
      [FUNNEL_METRIC.latency]: [300, 500],
    });

    const report = await new LocalMetricsFunnelSource(store).funnel({ sinceMs: 60_000 });

    expect(report.destinations.map((d) => [d.id, d.delivered, d.latencyMs.max])).toEqual([
      ['marketing', 2, 500],
      ['analytics', 0, null],
    ]);
    const only = await new LocalMetricsFunnelSource(store).funnel({
      sinceMs: 60_000,
      destination: 'analytics',
    });
    expect(only.destinations.map((d) => d.id)).toEqual(['analytics']);
  });
});
