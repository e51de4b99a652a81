import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backfillEnvironment, readBackfillEnvironment } from '../../../lambdas/backfill/environment.js';
import {
  bundledConfigDefine,
  CONFIG_DEFINE_KEY,
  commonEnvironment,
  configEnvironment,
  defineEnvironment,
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

describe('defineEnvironment()', () => {
  const { read, build, names, schema } = defineEnvironment({
    tableName: { name: VARIABLE.stateTableName, schema: z.string().min(3, 'must name the table') },
    limit: { name: 'LIMIT', schema: z.coerce.number().int().default(7) },
  });

  it('gives a reader and a builder that work detached from the object', () => {
    expect(build({ tableName: 'state', limit: 2 })).toEqual({ STATE_TABLE_NAME: 'state', LIMIT: '2' });
    expect(read({ STATE_TABLE_NAME: 'state' })).toEqual({ tableName: 'state', limit: 7 });
    expect(names).toEqual({ tableName: 'STATE_TABLE_NAME', limit: 'LIMIT' });
    expect(Object.keys(schema.shape)).toEqual(['STATE_TABLE_NAME', 'LIMIT']);
  });

  it('throws an EnvironmentError naming the variable and what it must be', () => {
    expect(() => read({ STATE_TABLE_NAME: 'x' })).toThrow(/STATE_TABLE_NAME: must name the table/);
  });
});

describe('lambdas/<function>/environment.ts', () => {
  const folders = readdirSync(new URL('../../../lambdas/', import.meta.url)).filter((f) => f !== 'commons');

  it.each(folders)('%s is its variable list and one defineEnvironment call', (folder) => {
    const source = readFileSync(
      new URL(`../../../lambdas/${folder}/environment.ts`, import.meta.url),
      'utf8',
    );

    expect(source.match(/defineEnvironment\(/g)).toHaveLength(1);
    expect(source).not.toMatch(/\bfunction\s+\w+\s*\(/);
  });
});
