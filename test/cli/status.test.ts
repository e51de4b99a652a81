import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseSince, statusView } from '../../cli/status.js';
import {
  destinationsInCloudWatch,
  funnelQueries,
  MAX_QUERIES_PER_CALL,
  readCloudWatchFunnel,
} from '../../cli/status-cloudwatch.js';
import { FUNNEL_COUNTS, FUNNEL_METRIC } from '../../core/metric-names.js';

const cloudWatch = mockClient(CloudWatchClient);
const cloudFormation = mockClient(CloudFormationClient);
const TO = Date.UTC(2026, 0, 1, 12);
const window = { from: TO - 3_600_000, to: TO };
const PER_DESTINATION = FUNNEL_COUNTS.length + 3;

beforeEach(() => {
  cloudWatch.reset();
  cloudFormation.reset();
  cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
});

describe('parseSince()', () => {
  it.each([
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['15d', 1_296_000_000],
  ])('reads %s as %d ms', (value, ms) => {
    expect(parseSince(value)).toBe(ms);
  });

  it.each(['1', '0h', '1.5h', '16d', '1w', 'h', '-1h'])('refuses %s with the form', (value) => {
    expect(() => parseSince(value)).toThrow(
      'give a whole number and a unit, m, h or d (30m, 1h, 7d), up to 15d',
    );
  });
});

describe('funnelQueries()', () => {
  it('asks for every funnel count per trend bucket and the latency over the window, with the instance dimensions', () => {
    const queries = funnelQueries({
      window,
      destinations: ['marketing'],
      pipelineName: 'prod',
      alarmPrefix: 'Stack',
    });

    expect(queries).toHaveLength(PER_DESTINATION);
    expect(queries.map((q) => q.query.MetricStat?.Metric?.MetricName)).toEqual([
      ...FUNNEL_COUNTS.map((c) => c.name),
      FUNNEL_METRIC.latency,
      FUNNEL_METRIC.latency,
      FUNNEL_METRIC.latency,
    ]);
    for (const { query } of queries) {
      expect(query.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
      expect(query.MetricStat?.Metric?.Namespace).toBe('KinesisDestination');
      expect(query.MetricStat?.Metric?.Dimensions).toEqual([
        { Name: 'service', Value: 'kinesis-destination' },
        { Name: 'pipeline', Value: 'prod' },
        { Name: 'destination', Value: 'marketing' },
      ]);
    }
    expect(queries[0]?.query.MetricStat).toMatchObject({ Period: 300, Stat: 'Sum' });
    expect(queries.slice(-3).map((q) => [q.query.MetricStat?.Stat, q.query.MetricStat?.Period])).toEqual([
      ['p50', 3600],
      ['p95', 3600],
      ['Maximum', 3600],
    ]);
  });

  it('leaves the pipeline dimension out for a deployment without a pipeline name', () => {
    const [first] = funnelQueries({ window, destinations: ['marketing'], alarmPrefix: 'Stack' });

    expect(first?.query.MetricStat?.Metric?.Dimensions?.map((d) => d.Name)).toEqual([
      'service',
      'destination',
    ]);
  });
});

describe('readCloudWatchFunnel()', () => {
  it('sends one GetMetricData call per page of at most 500 queries, and follows NextToken', async () => {
    const destinations = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const calls: GetMetricDataCommandInput[] = [];
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      calls.push(input);
      const first = input.MetricDataQueries?.[0]?.Id;
      return input.NextToken === undefined && first === 'd0_c0'
        ? { MetricDataResults: [], NextToken: 't1' }
        : { MetricDataResults: [] };
    });

    await readCloudWatchFunnel(new CloudWatchClient({}), { window, destinations, alarmPrefix: 'Stack' });

    expect(calls.map((c) => [c.MetricDataQueries?.length, c.NextToken])).toEqual([
      [MAX_QUERIES_PER_CALL, undefined],
      [MAX_QUERIES_PER_CALL, 't1'],
      [30 * PER_DESTINATION - MAX_QUERIES_PER_CALL, undefined],
    ]);
    const ids = new Set([calls[0], calls[2]].flatMap((c) => c?.MetricDataQueries?.map((q) => q.Id)));
    expect(ids.size).toBe(30 * PER_DESTINATION);
    expect(calls[0]?.StartTime).toEqual(new Date(window.from));
    expect(calls[0]?.EndTime).toEqual(new Date(window.to));
  });

  it('turns the datapoints into the report, latency from its statistics, alarms by destination', async () => {
    const at = (minutesAgo: number) => new Date(TO - minutesAgo * 60_000);
    const deliveredIndex = FUNNEL_COUNTS.findIndex((c) => c.name === FUNNEL_METRIC.delivered);
    const segmentIndex = FUNNEL_COUNTS.findIndex((c) => c.name === FUNNEL_METRIC.exported.segment);
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: `d0_c${deliveredIndex}`, Timestamps: [at(60), at(5)], Values: [4, 6] },
        { Id: `d0_c${segmentIndex}`, Timestamps: [at(5)], Values: [10] },
        { Id: 'd0_p50', Timestamps: [at(60)], Values: [250] },
        { Id: 'd0_p95', Timestamps: [at(60)], Values: [900] },
        { Id: 'd0_max', Timestamps: [at(60)], Values: [1200] },
      ],
    });
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'Stack-Latency-1', Dimensions: [{ Name: 'pipeline', Value: 'prod' }] },
        { AlarmName: 'Stack-Other-2', Dimensions: [{ Name: 'pipeline', Value: 'staging' }] },
        { AlarmName: 'Stack-Crm-3', Dimensions: [{ Name: 'destination', Value: 'crm' }] },
      ],
    });

    const view = await readCloudWatchFunnel(new CloudWatchClient({}), {
      window,
      destinations: ['marketing', 'crm'],
      pipelineName: 'prod',
      alarmPrefix: 'Stack',
    });

    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      AlarmNamePrefix: 'Stack',
      StateValue: 'ALARM',
    });
    expect(view.report.destinations[0]).toMatchObject({
      id: 'marketing',
      delivered: 10,
      exported: { segment: 10 },
      latencyMs: { p50: 250, p95: 900, max: 1200 },
      alarms: ['Stack-Latency-1'],
    });
    expect(view.report.destinations[1]).toMatchObject({
      id: 'crm',
      delivered: 0,
      latencyMs: { p50: null, p95: null, max: null },
      alarms: ['Stack-Latency-1', 'Stack-Crm-3'],
    });
    expect(view.trends.marketing?.delivered).toEqual([4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]);
  });
});

/** A DescribeStacks answer: one stack whose outputs name its pipeline. */
const stackWithPipeline = (pipeline: string) => ({
  Stacks: [
    {
      StackName: 'Prod',
      CreationTime: new Date(0),
      StackStatus: 'CREATE_COMPLETE' as const,
      Outputs: [{ OutputKey: 'PipelineName', OutputValue: pipeline }],
    },
  ],
});

/** A ListMetrics entry: the evaluated funnel metric of one destination (of a pipeline, or none). */
const evaluatedMetric = (pipeline: string | undefined, destination: string) => ({
  Namespace: 'KinesisDestination',
  MetricName: FUNNEL_METRIC.evaluated,
  Dimensions: [
    { Name: 'service', Value: 'kinesis-destination' },
    ...(pipeline === undefined ? [] : [{ Name: 'pipeline', Value: pipeline }]),
    { Name: 'destination', Value: destination },
  ],
});

/** The mocked AWS clients, a fixed clock, and this environment. */
const awsDeps = (env: Record<string, string> = {}) => ({
  env,
  cloudWatch: new CloudWatchClient({}),
  cloudFormation: new CloudFormationClient({}),
  now: () => TO,
});

describe('destinationsInCloudWatch()', () => {
  it("lists each destination of the pipeline once, sorted, following NextToken, and no other pipeline's", async () => {
    cloudWatch
      .on(ListMetricsCommand)
      .resolvesOnce({
        Metrics: [
          evaluatedMetric('prod', 'web'),
          evaluatedMetric('staging', 'qa'),
          evaluatedMetric('prod', 'crm'),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Metrics: [evaluatedMetric('prod', 'web'), evaluatedMetric(undefined, 'legacy')] });

    expect(await destinationsInCloudWatch(new CloudWatchClient({}), 'prod')).toEqual(['crm', 'web']);
    expect(cloudWatch.commandCalls(ListMetricsCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('for a deployment without a pipeline name, lists only the metrics without a pipeline dimension', async () => {
    cloudWatch.on(ListMetricsCommand).resolves({
      Metrics: [evaluatedMetric(undefined, 'marketing'), evaluatedMetric('prod', 'crm')],
    });

    expect(await destinationsInCloudWatch(new CloudWatchClient({}), undefined)).toEqual(['marketing']);
    expect(cloudWatch.commandCalls(ListMetricsCommand)[0]?.args[0].input.Dimensions).toEqual([
      { Name: 'service', Value: 'kinesis-destination' },
    ]);
  });
});

describe('statusView()', () => {
  it("reads the stack's pipeline name and prints the --json shape for the config's destinations", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Prod',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'PipelineName', OutputValue: 'prod' }],
        },
      ],
    });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    const view = await statusView(
      { since: '1h', stack: 'Prod', config: 'examples/config.json' },
      {
        env: {},
        cloudWatch: new CloudWatchClient({}),
        cloudFormation: new CloudFormationClient({}),
        now: () => TO,
      },
    );

    const query = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0];
    expect(query?.MetricStat?.Metric?.Dimensions).toContainEqual({ Name: 'pipeline', Value: 'prod' });
    expect(Object.keys(view.report)).toEqual(['window', 'destinations']);
    expect(view.report.window).toEqual({ from: '2026-01-01T11:00:00.000Z', to: '2026-01-01T12:00:00.000Z' });
    expect(view.report.destinations.map((d) => Object.keys(d))).toEqual(
      ['marketing', 'analytics'].map(() => [
        'id',
        'evaluated',
        'exported',
        'skipped',
        'rejected',
        'delivered',
        'retried',
        'deadLettered',
        'redriven',
        'latencyMs',
        'alarms',
      ]),
    );
  });

  it('without a config, reports on the destinations CloudWatch has funnel metrics of for the pipeline', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stackWithPipeline('prod'));
    cloudWatch.on(ListMetricsCommand).resolves({ Metrics: [evaluatedMetric('prod', 'crm')] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Run where examples/config.json exists: its ids (marketing, analytics) are not the deployment's.
    const view = await statusView({ since: '1h', stack: 'Prod' }, awsDeps());

    expect(view.report.destinations.map((d) => d.id)).toEqual(['crm']);
    expect(cloudWatch.commandCalls(ListMetricsCommand)[0]?.args[0].input).toEqual({
      Namespace: 'KinesisDestination',
      MetricName: FUNNEL_METRIC.evaluated,
      Dimensions: [
        { Name: 'service', Value: 'kinesis-destination' },
        { Name: 'pipeline', Value: 'prod' },
      ],
    });
  });

  it('takes the destinations from the config named by KD_CONFIG, narrowed by --destination, without asking CloudWatch', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stackWithPipeline('prod'));
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    const view = await statusView(
      { since: '1h', stack: 'Prod', destination: 'analytics' },
      awsDeps({ KD_CONFIG: 'examples/config.json' }),
    );

    expect(view.report.destinations.map((d) => d.id)).toEqual(['analytics']);
    expect(cloudWatch.commandCalls(ListMetricsCommand)).toHaveLength(0);
  });

  it('says what to pass when CloudWatch has no funnel metrics of the pipeline', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stackWithPipeline('prod'));
    cloudWatch.on(ListMetricsCommand).resolves({ Metrics: [] });

    await expect(statusView({ since: '1h', stack: 'Prod' }, awsDeps())).rejects.toThrow(
      `CloudWatch has no funnel metrics of pipeline "prod" of stack "Prod" (none in the last two weeks, or the first arrived less than 15 minutes ago), so there is no destination to report on: pass --config with the deployment's config file, or --destination ID`,
    );
  });

  it('refuses --pipeline without --stack', async () => {
    await expect(statusView({ since: '1h', pipeline: 'prod' }, { env: {} })).rejects.toThrow(
      'pass --stack NAME too',
    );
  });

  it('names the variable and the way out when the local endpoint is gone', async () => {
    const gone = async () => {
      throw new TypeError('fetch failed');
    };

    await expect(
      statusView(
        { since: '1h' },
        { env: { KD_LOCAL_METRICS_URL: 'http://127.0.0.1:9' }, fetch: gone as never },
      ),
    ).rejects.toThrow('is `local up` still running? Unset KD_LOCAL_METRICS_URL, or pass --stack');
  });
});
