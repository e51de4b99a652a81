/**
 * The funnel from CloudWatch embedded metric format (EMF) documents, as the functions print them
 * through Powertools: the local runtime collects them (local/metrics-store.ts) where Lambda would
 * send them to CloudWatch, and this reads them as CloudWatch would — a document's metrics under its
 * declared dimensions, at its timestamp. Pure.
 */
import { z } from 'zod';
import {
  buildFunnelView,
  type CountPoint,
  type FunnelView,
  type FunnelWindow,
  summarizeLatency,
} from './funnel.js';
import { FUNNEL_METRIC, METRIC_DIMENSION, METRICS_NAMESPACE } from './metric-names.js';

/** The part of an EMF document this reader needs (the specification's `_aws` member). */
export const emfDocumentSchema = z
  .object({
    _aws: z.object({
      Timestamp: z.number(),
      CloudWatchMetrics: z
        .array(
          z.object({
            Namespace: z.string(),
            Dimensions: z.array(z.array(z.string())),
            Metrics: z.array(z.object({ Name: z.string() }).loose()),
          }),
        )
        .min(1),
    }),
  })
  .loose();

/** An EMF document: `_aws` and the metric and dimension members. */
export type EmfDocument = z.infer<typeof emfDocumentSchema>;

/** The document when `value` is an EMF document; undefined otherwise. Never throws. */
export function asEmfDocument(value: unknown): EmfDocument | undefined {
  const parsed = emfDocumentSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** One document's funnel observations: counts and latency values of its `destination`. */
export interface EmfFunnelSamples {
  readonly destination: string;
  readonly t: number;
  readonly counts: readonly CountPoint[];
  readonly latencies: readonly number[];
}

const numbers = (value: unknown): number[] =>
  (Array.isArray(value) ? value : [value]).filter(
    (v): v is number => typeof v === 'number' && Number.isFinite(v),
  );

/**
 * The funnel samples of a document of the pipeline's namespace that carries a `destination`
 * dimension; undefined for any other document (the pipeline-wide metrics, another namespace).
 */
export function funnelSamplesOf(
  doc: EmfDocument,
  namespace = METRICS_NAMESPACE,
): EmfFunnelSamples | undefined {
  const directive = doc._aws.CloudWatchMetrics.find((d) => d.Namespace === namespace);
  const destination = doc[METRIC_DIMENSION.destination];
  if (directive === undefined || typeof destination !== 'string') return undefined;
  if (!directive.Dimensions.some((set) => set.includes(METRIC_DIMENSION.destination))) return undefined;
  const t = doc._aws.Timestamp;
  const counts: CountPoint[] = [];
  let latencies: number[] = [];
  for (const { Name } of directive.Metrics) {
    const values = numbers(doc[Name]);
    if (Name === FUNNEL_METRIC.latency) latencies = values;
    else counts.push({ destination, metric: Name, t, value: values.reduce((a, b) => a + b, 0) });
  }
  return { destination, t, counts, latencies };
}

/** What {@link funnelFromEmf} reports on. */
export interface EmfFunnelQuery {
  readonly window: FunnelWindow;
  readonly destinations: readonly string[];
}

/**
 * The funnel view of the documents in the window: counts summed, latency percentiles computed from
 * every value (as CloudWatch computes them from EMF values; nearest rank here).
 */
export function funnelFromEmf(docs: Iterable<EmfDocument>, query: EmfFunnelQuery): FunnelView {
  const counts: CountPoint[] = [];
  const latencies = new Map<string, number[]>();
  for (const doc of docs) {
    const samples = funnelSamplesOf(doc);
    if (samples === undefined || samples.t < query.window.from || samples.t >= query.window.to) continue;
    counts.push(...samples.counts);
    if (samples.latencies.length > 0) {
      const list = latencies.get(samples.destination) ?? [];
      list.push(...samples.latencies);
      latencies.set(samples.destination, list);
    }
  }
  return buildFunnelView({
    window: query.window,
    destinations: query.destinations,
    counts,
    latency: new Map([...latencies].map(([id, values]) => [id, summarizeLatency(values)])),
  });
}
