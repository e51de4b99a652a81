import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backfillEnvironment, readBackfillEnvironment } from '../../../lambdas/backfill/environment.js';
import {
  bundledConfigDefine,
  CONFIG_DEFINE_KEY,
  commonEnvironment,
  configEnvironment,
  readCommonEnvironment,
  VARIABLE,
} from '../../../lambdas/commons/environment.js';
import { EnvironmentError } from '../../../lambdas/commons/errors.js';
import { connectionCheckEnvironment } from '../../../lambdas/connection-check/environment.js';
import {
  DECIDE_VARIABLES,
  decideEnvironment,
  readDecideEnvironment,
} from '../../../lambdas/decide/environment.js';
import { exportEnvironment, readExportEnvironment } from '../../../lambdas/export/environment.js';

describe('the functions’ environment.ts', () => {
  it('builds the variables each function reads back', () => {
    const decide = { exportQueueUrl: 'https://sqs/export.fifo', rejectsQueueUrl: 'https://sqs/rejects' };
    const exporter = {
      stateTableName: 'state',
      exportQueueUrl: 'https://sqs/export.fifo',
      deadLetterQueueUrl: 'https://sqs/dlq.fifo',
      exportMaxReceiveCount: 3,
    };
    const backfill = {
      profileTableName: 'profiles',
      stateTableName: 'state',
      exportQueueUrl: 'https://sqs/e',
    };

    expect(decideEnvironment(decide)).toEqual({
      EXPORT_QUEUE_URL: 'https://sqs/export.fifo',
      REJECTS_QUEUE_URL: 'https://sqs/rejects',
    });
    expect(exportEnvironment(exporter)).toEqual({
      STATE_TABLE_NAME: 'state',
      EXPORT_QUEUE_URL: 'https://sqs/export.fifo',
      DLQ_URL: 'https://sqs/dlq.fifo',
      EXPORT_MAX_RECEIVE_COUNT: '3',
    });
    expect(connectionCheckEnvironment()).toEqual({});
    expect(readDecideEnvironment(decideEnvironment(decide))).toEqual(decide);
    expect(readExportEnvironment(exportEnvironment(exporter))).toEqual(exporter);
    expect(readBackfillEnvironment(backfillEnvironment(backfill))).toEqual(backfill);
  });

  it('names each variable once, in lambdas/commons/environment.ts', () => {
    expect(DECIDE_VARIABLES).toEqual({
      exportQueueUrl: VARIABLE.exportQueueUrl,
      rejectsQueueUrl: VARIABLE.rejectsQueueUrl,
    });
  });

  it('fails a cold start naming the variable that is missing or malformed', () => {
    expect(() => readDecideEnvironment({ EXPORT_QUEUE_URL: 'not a url' })).toThrow(EnvironmentError);
    expect(() => readDecideEnvironment({ EXPORT_QUEUE_URL: 'not a url' })).toThrow(
      /EXPORT_QUEUE_URL: must be the URL of the FIFO export queue[\s\S]*REJECTS_QUEUE_URL/,
    );
  });

  it('defaults the optional variables', () => {
    expect(
      readExportEnvironment({
        STATE_TABLE_NAME: 'state',
        EXPORT_QUEUE_URL: 'https://sqs/export.fifo',
        DLQ_URL: 'https://sqs/dlq.fifo',
      }).exportMaxReceiveCount,
    ).toBe(31);
    expect(readCommonEnvironment({})).toEqual({
      serviceName: 'kinesis-destination',
      metricsNamespace: 'KinesisDestination',
    });
    expect(commonEnvironment()).toEqual({
      POWERTOOLS_SERVICE_NAME: 'kinesis-destination',
      POWERTOOLS_METRICS_NAMESPACE: 'KinesisDestination',
    });
  });

  it('inlines the config under the literal expression the functions read', () => {
    const source = readFileSync(new URL('../../../lambdas/commons/environment.ts', import.meta.url), 'utf8');
    const config = { destinations: [] } as never;

    expect(source).toContain(`= ${CONFIG_DEFINE_KEY})`);
    expect(bundledConfigDefine(config)).toEqual({
      [CONFIG_DEFINE_KEY]: JSON.stringify('{"destinations":[]}'),
    });
    expect(configEnvironment('{}')).toEqual({ KD_CONFIG_JSON: '{}' });
  });
});
