/**
 * `kinesis-destination status` on AWS: the funnel from CloudWatch. The queries are built from the
 * metric-names module (core/metric-names.ts, `FUNNEL_COUNTS` and `FUNNEL_METRIC.latency`) with the
 * deployment's dimensions, sent as `GetMetricData` pages of at most 500 queries (the API's limit), and
 * the datapoints handed to core/funnel.ts; the alarms in ALARM come from `DescribeAlarms`. Without a
 * config, the destinations are the ones whose funnel metrics `ListMetrics` lists for the pipeline.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type Dimension,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  buildFunnelView,
  type CountPoint,
  type FunnelView,
  type FunnelWindow,
  trendBucketMs,
} from '../core/funnel.js';
import type { LatencySummary } from '../core/funnel-types.js';
import {
  FUNNEL_COUNTS,
  FUNNEL_METRIC,
  METRIC_DIMENSION,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../core/metric-names.js';

/** GetMetricData takes at most this many queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/** What to read. */
export interface CloudWatchFunnelOptions {
  readonly window: FunnelWindow;
  readonly destinations: readonly string[];
  /** The `pipeline` dimension (the construct's pipelineName); absent: `service` alone. */
  readonly pipelineName?: string;
  /** The alarm name prefix: the stack's name (CDK names alarms `<stack>-<id>-<hash>`). */
  readonly alarmPrefix: string;
}

const LATENCY_STATS = [
  ['p50', 'p50'],
  ['p95', 'p95'],
  ['max', 'Maximum'],
] as const;

/** One query and what its values are. */
interface QueryTarget {
  readonly query: MetricDataQuery;
  readonly destination: string;
  readonly metric: string;
  readonly latency?: keyof LatencySummary;
}

function dimensionsOf(options: CloudWatchFunnelOptions, destination: string): Dimension[] {
  return [
    { Name: METRIC_DIMENSION.service, Value: SERVICE_NAME },
    ...(options.pipelineName === undefined
      ? []
      : [{ Name: METRIC_DIMENSION.pipeline, Value: options.pipelineName }]),
    { Name: METRIC_DIMENSION.destination, Value: destination },
  ];
}

/**
 * The queries of the funnel: per destination, each funnel count's sum per trend bucket, and the
 * latency's p50, p95 and maximum over the whole window. Ids are `d<destination>_c<count>` and
 * `d<destination>_<stat>` (GetMetricData ids start with a lower-case letter).
 */
export function funnelQueries(options: CloudWatchFunnelOptions): QueryTarget[] {
  const bucketS = trendBucketMs(options.window) / 1000;
  const windowS = Math.max(60, Math.ceil((options.window.to - options.window.from) / 60_000) * 60);
  return options.destinations.flatMap((destination, d) => {
    const Dimensions = dimensionsOf(options, destination);
    const metric = (MetricName: string) => ({ Namespace: METRICS_NAMESPACE, MetricName, Dimensions });
    return [
      ...FUNNEL_COUNTS.map((c, i) => ({
        destination,
        metric: c.name,
        query: {
          Id: `d${d}_c${i}`,
          MetricStat: { Metric: metric(c.name), Period: bucketS, Stat: 'Sum' },
          ReturnData: true,
        },
      })),
      ...LATENCY_STATS.map(([key, Stat]) => ({
        destination,
        metric: FUNNEL_METRIC.latency,
        latency: key,
        query: {
          Id: `d${d}_${key}`,
          MetricStat: { Metric: metric(FUNNEL_METRIC.latency), Period: windowS, Stat, Unit: 'Milliseconds' },
          ReturnData: true,
        },
      })),
    ] as QueryTarget[];
  });
}

/**
 * Reads the funnel from CloudWatch: one `GetMetricData` call per page of up to 500 queries (and per
 * `NextToken` page of its answer), then `DescribeAlarms` for the alarms in ALARM whose names start
 * with the stack's. An alarm with a `destination` dimension is listed under that destination, any
 * other under every destination.
 * @throws the SDK's error (the CLI prints it).
 */
export async function readCloudWatchFunnel(
  client: CloudWatchClient,
  options: CloudWatchFunnelOptions,
): Promise<FunnelView> {
  const targets = funnelQueries(options);
  const byId = new Map(targets.map((t) => [t.query.Id as string, t]));
  const counts: CountPoint[] = [];
  const latency = new Map<string, { p50: number | null; p95: number | null; max: number | null }>();
  for (let start = 0; start < targets.length; start += MAX_QUERIES_PER_CALL) {
    const page = targets.slice(start, start + MAX_QUERIES_PER_CALL).map((t) => t.query);
    let nextToken: string | undefined;
    do {
      const answer = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: page,
          StartTime: new Date(options.window.from),
          EndTime: new Date(options.window.to),
          ScanBy: 'TimestampAscending',
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const result of answer.MetricDataResults ?? []) {
        const target = byId.get(result.Id ?? '');
        if (target === undefined) continue;
        const values = result.Values ?? [];
        const times = result.Timestamps ?? [];
        if (target.latency !== undefined) {
          const row = latency.get(target.destination) ?? { p50: null, p95: null, max: null };
          // One period spans the window: its one value (none: no delivery, left null).
          if (values[0] !== undefined) row[target.latency] = values[0];
          latency.set(target.destination, row);
          continue;
        }
        values.forEach((value, i) => {
          const t = times[i];
          if (t !== undefined)
            counts.push({ destination: target.destination, metric: target.metric, t: t.getTime(), value });
        });
      }
      nextToken = answer.NextToken;
    } while (nextToken !== undefined);
  }
  return buildFunnelView({
    window: options.window,
    destinations: options.destinations,
    counts,
    latency,
    alarms: await alarmsInAlarm(client, options),
  });
}

async function alarmsInAlarm(
  client: CloudWatchClient,
  options: CloudWatchFunnelOptions,
): Promise<Map<string, string[]>> {
  const alarms = new Map<string, string[]>(options.destinations.map((d) => [d, []]));
  let nextToken: string | undefined;
  do {
    const answer = await client.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: options.alarmPrefix,
        StateValue: 'ALARM',
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    for (const alarm of answer.MetricAlarms ?? []) {
      const name = alarm.AlarmName ?? '';
      const pipeline = alarm.Dimensions?.find((x) => x.Name === METRIC_DIMENSION.pipeline)?.Value;
      if (options.pipelineName !== undefined && pipeline !== undefined && pipeline !== options.pipelineName)
        continue;
      const destination = alarm.Dimensions?.find((x) => x.Name === METRIC_DIMENSION.destination)?.Value;
      for (const [id, list] of alarms) if (destination === undefined || destination === id) list.push(name);
    }
    for (const alarm of answer.CompositeAlarms ?? [])
      for (const list of alarms.values()) list.push(alarm.AlarmName ?? '');
    nextToken = answer.NextToken;
  } while (nextToken !== undefined);
  return alarms;
}

/**
 * The destinations of a pipeline as CloudWatch knows them: the `destination` dimension of every
 * `evaluated` funnel metric `ListMetrics` lists with the pipeline's dimensions (with no pipeline name,
 * those without a `pipeline` dimension), sorted. CloudWatch lists a metric from about 15 minutes after
 * its first datapoint until two weeks after its last, so a destination with no traffic in two weeks is
 * not among them.
 * @throws the SDK's error (the CLI prints it).
 */
export async function destinationsInCloudWatch(
  client: CloudWatchClient,
  pipelineName: string | undefined,
): Promise<string[]> {
  const found = new Set<string>();
  let nextToken: string | undefined;
  do {
    const answer = await client.send(
      new ListMetricsCommand({
        Namespace: METRICS_NAMESPACE,
        MetricName: FUNNEL_METRIC.evaluated,
        Dimensions: [
          { Name: METRIC_DIMENSION.service, Value: SERVICE_NAME },
          ...(pipelineName === undefined ? [] : [{ Name: METRIC_DIMENSION.pipeline, Value: pipelineName }]),
        ],
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    for (const metric of answer.Metrics ?? []) {
      const value = (name: string) => metric.Dimensions?.find((d) => d.Name === name)?.Value;
      if (value(METRIC_DIMENSION.pipeline) !== pipelineName) continue;
      const destination = value(METRIC_DIMENSION.destination);
      if (destination !== undefined && destination.length > 0) found.add(destination);
    }
    nextToken = answer.NextToken;
  } while (nextToken !== undefined);
  return [...found].sort();
}
