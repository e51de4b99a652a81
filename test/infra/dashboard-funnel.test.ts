/**
 * The dashboard's funnel (issue 21 item 3): one row per destination of the config — the stages as
 * single-value widgets of the declared funnel metrics, latency p50/p95/max against the 10-minute
 * line, the dead-letter queue's depth — each metric with this instance's dimensions. Read from the
 * synthesized template's DashboardBody, parsed as JSON.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LATENCY_PROMISE_MS } from '../../core/funnel.js';
import { FUNNEL_COUNTS, FUNNEL_METRIC, METRICS_NAMESPACE } from '../../core/metric-names.js';
import { exampleConfig, synth } from './synth.js';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly view?: string;
    readonly metrics?: unknown[][];
    readonly annotations?: { readonly horizontal?: { readonly value: number; readonly label?: string }[] };
  };
}

/** The dashboard body: its Fn::Join parts, each token (a Ref, a GetAtt) as a placeholder string. */
function dashboardWidgets(template: Template): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

/** A metric entry's name and dimensions (`[namespace, name, dim, value, …, {options}]`). */
function metricOf(entry: unknown[]): {
  namespace: unknown;
  name: unknown;
  dimensions: Record<string, unknown>;
} {
  const [namespace, name, ...rest] = entry;
  const pairs = rest.filter((x) => typeof x === 'string') as string[];
  const dimensions: Record<string, unknown> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1];
  return { namespace, name, dimensions };
}

let widgets: Widget[];
const destinations = exampleConfig().destinations.map((d) => d.id);

beforeAll(() => {
  widgets = dashboardWidgets(synth(exampleConfig()).template);
});

describe('the dashboard funnel', () => {
  it.each(destinations)('shows the stages of %s as numbers, built from the declared funnel metrics', (id) => {
    const funnel = widgets.find((w) => w.properties.title === `Funnel: ${id}`);

    expect(funnel?.properties.view).toBe('singleValue');
    const metrics = (funnel?.properties.metrics ?? []).map(metricOf);
    expect(metrics.map((m) => m.name)).toEqual(FUNNEL_COUNTS.map((c) => c.name));
    for (const m of metrics) {
      expect(m.namespace).toBe(METRICS_NAMESPACE);
      expect(m.dimensions).toEqual({
        service: 'kinesis-destination',
        pipeline: 'KinesisDestination',
        destination: id,
      });
    }
  });

  it.each(destinations)('draws the latency of %s (p50, p95, max) against the 10-minute line', (id) => {
    const latency = widgets.find((w) => w.properties.title?.startsWith(`Latency: ${id}`));

    const metrics = (latency?.properties.metrics ?? []).map(metricOf);
    expect(metrics.map((m) => m.name)).toEqual([
      FUNNEL_METRIC.latency,
      FUNNEL_METRIC.latency,
      FUNNEL_METRIC.latency,
    ]);
    expect(metrics.every((m) => m.dimensions.destination === id)).toBe(true);
    const stats = (latency?.properties.metrics ?? []).map(
      (entry) => (entry.at(-1) as { stat?: string }).stat,
    );
    expect(stats).toEqual(['p50', 'p95', 'Maximum']);
    expect(latency?.properties.annotations?.horizontal?.map((a) => a.value)).toEqual([LATENCY_PROMISE_MS]);
  });

  it('shows the dead-letter queue depth beside each funnel row', () => {
    const depths = widgets.filter((w) => w.properties.title === 'Dead-letter queue depth');

    expect(depths).toHaveLength(destinations.length);
    for (const w of depths)
      expect(w.properties.metrics?.map((entry) => metricOf(entry).name)).toEqual([
        'ApproximateNumberOfMessagesVisible',
      ]);
  });
});
