import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { FUNNEL_METRIC, METRIC, METRIC_NAMES, METRICS, metricUnit } from '../../../core/metric-names.js';
import { commonEnvironment, readCommonEnvironment } from '../../../lambdas/commons/environment.js';
import {
  createObservability,
  type LogLevel,
  type LogSink,
  logSafely,
  powertoolsMetricSink,
  SAFE_LOG_FIELDS,
  SAFE_LOG_KEYS,
  type SafeLogFields,
} from '../../../lambdas/commons/observability.js';

type EmfAws = { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };

function sink(): LogSink & { lines: { level: LogLevel; message: string; extra: unknown }[] } {
  const lines: { level: LogLevel; message: string; extra: unknown }[] = [];
  const at = (level: LogLevel) => (message: string, extra: unknown) => lines.push({ level, message, extra });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never;
}

describe('logSafely()', () => {
  it('copies the allowed fields and drops the others even when a caller widens the type', () => {
    const logger = sink();
    const widened = {
      exportId: 'e1',
      profileVersion: 3,
      reasonCodes: ['segment-membership'],
      email: 'jane.doe@example.com',
      document: { personalEmail: { address: 'jane.doe@example.com' } },
    } as SafeLogFields;

    logSafely(logger, 'warn', 'export failed', widened);

    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'export failed',
        extra: { exportId: 'e1', profileVersion: 3, reasonCodes: ['segment-membership'] },
      },
    ]);
  });

  it('leaves out the allowed fields that are undefined', () => {
    const logger = sink();

    logSafely(logger, 'info', 'nothing to say', { exportId: undefined, count: 0 });

    expect(logger.lines[0]?.extra).toEqual({ count: 0 });
  });
});

describe('SAFE_LOG_KEYS', () => {
  it('is the allowlist schema’s keys: one declaration of the 31 fields', () => {
    expect(SAFE_LOG_KEYS).toEqual(Object.keys(SAFE_LOG_FIELDS.shape));
    expect(SAFE_LOG_KEYS).toHaveLength(31);
    expect(SAFE_LOG_KEYS).toContain('errorMessage');
  });
});

describe('powertoolsMetricSink()', () => {
  it('emits each metric in the unit core/metric-names.ts declares', () => {
    const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
    const add = vi.spyOn(metrics, 'addMetric');
    const metricSink = powertoolsMetricSink(metrics);

    metricSink.count(METRIC.recordsPut, 2);
    metricSink.milliseconds(METRIC.exportLatency, 150);

    expect(add.mock.calls).toEqual([
      ['RecordsPut', 'Count', 2],
      ['ExportLatency', 'Milliseconds', 150],
    ]);
  });
});

describe('METRIC', () => {
  it('names every declared metric by its key, each name once', () => {
    expect(Object.values(METRIC)).toEqual(METRIC_NAMES);
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
    for (const [key, spec] of Object.entries(METRICS)) {
      expect(METRIC[key as keyof typeof METRIC]).toBe(spec.name);
      expect(metricUnit(spec.name)).toBe(spec.unit);
    }
  });
});

describe('createObservability()', () => {
  /** The EMF documents Powertools writes to stdout while `emit` runs. */
  function emitted(emit: () => void): { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } }[] {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      emit();
    } finally {
      write.mockRestore();
    }
    return lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
  }

  it("adds the pipeline's name as a dimension of every metric, single metrics too", () => {
    const env = readCommonEnvironment(commonEnvironment({ pipelineName: 'staging' }));
    const { metrics, metricSink } = createObservability(env);

    const documents = emitted(() => {
      metricSink.countWithDimension(METRIC.exportsQueued, 1, 'Reason', 'backfill');
      metricSink.count(METRIC.recordsPut, 2);
      metrics.publishStoredMetrics();
    });

    expect(documents.map((d) => d._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual([
      [['service', 'pipeline', 'Reason']],
      [['service', 'pipeline']],
    ]);
    expect(documents.map((d) => (d as unknown as Record<string, unknown>).pipeline)).toEqual([
      'staging',
      'staging',
    ]);
  });

  it("emits a destination's funnel counts and latencies as one document with the destination dimension", () => {
    const env = readCommonEnvironment(commonEnvironment({ pipelineName: 'staging' }));
    const { metricSink } = createObservability(env);

    const documents = emitted(() => {
      metricSink.funnel(
        'marketing',
        { [FUNNEL_METRIC.delivered]: 2, [FUNNEL_METRIC.retried]: 0, [FUNNEL_METRIC.redriven]: 1 },
        [400, 500],
      );
      metricSink.funnel('crm', {});
    });

    expect(documents).toHaveLength(1);
    const doc = documents[0] as unknown as Record<string, unknown> & { _aws: EmfAws };
    expect(doc._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'pipeline', 'destination']]);
    expect(doc._aws.CloudWatchMetrics[0]?.Namespace).toBe(env.metricsNamespace);
    expect(doc).toMatchObject({
      pipeline: 'staging',
      destination: 'marketing',
      [FUNNEL_METRIC.delivered]: 2,
      [FUNNEL_METRIC.redriven]: 1,
      [FUNNEL_METRIC.latency]: [400, 500],
    });
    expect(doc).not.toHaveProperty(FUNNEL_METRIC.retried);
  });

  it('emits the service dimension alone without a pipeline name (the local stack)', () => {
    const env = readCommonEnvironment(commonEnvironment());
    const { metrics, metricSink } = createObservability(env);

    expect(commonEnvironment()).not.toHaveProperty('KD_PIPELINE_NAME');
    const documents = emitted(() => {
      metricSink.count(METRIC.recordsPut, 2);
      metrics.publishStoredMetrics();
    });
    expect(documents.map((d) => d._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual([[['service']]]);
  });
});
