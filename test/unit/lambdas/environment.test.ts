import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../../core/errors.js';
import { backfillEnvironment, readBackfillEnvironment } from '../../../lambdas/backfill/environment.js';
import {
  commonEnvironment,
  configEnvironment,
  DEFAULT_CONFIG_JSON_PATH,
  defineEnvironment,
  loadFunctionConfig,
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

  it('gives the local runtime the config as one variable', () => {
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

const EXAMPLE_JSON = readFileSync(new URL('../../../examples/config.json', import.meta.url), 'utf8');

/** A file reader over `files`; any other path fails as a missing file does. */
function filesOnly(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined)
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

describe('loadFunctionConfig()', () => {
  it('reads the config layer file on AWS, where no config variable is set', () => {
    const { config, compiled } = loadFunctionConfig({
      env: {},
      readFile: filesOnly({ [DEFAULT_CONFIG_JSON_PATH]: EXAMPLE_JSON }),
    });

    expect(DEFAULT_CONFIG_JSON_PATH).toBe('/opt/kinesis-destination/config.json');
    expect(config.destinations.map((d) => d.id)).toEqual(['marketing', 'analytics']);
    expect(compiled).toBeDefined();
  });

  it('prefers KD_CONFIG_JSON (the local runtime) over any file', () => {
    const { config } = loadFunctionConfig({ env: { KD_CONFIG_JSON: EXAMPLE_JSON }, readFile: filesOnly({}) });

    expect(config.destinations).toHaveLength(2);
  });

  it('reads the file KD_CONFIG_JSON_PATH names instead of the layer', () => {
    const { config } = loadFunctionConfig({
      env: { KD_CONFIG_JSON_PATH: '/tmp/other.json' },
      readFile: filesOnly({ '/tmp/other.json': EXAMPLE_JSON }),
    });

    expect(config.destinations).toHaveLength(2);
  });

  it('names both ways to provide the config when neither is there', () => {
    const load = () => loadFunctionConfig({ env: {}, readFile: filesOnly({}) });

    expect(load).toThrow(EnvironmentError);
    expect(load).toThrow(
      /KD_CONFIG_JSON is not set and \/opt\/kinesis-destination\/config\.json cannot be read \(ENOENT[^)]*\)\. On AWS the KinesisDestination construct attaches the layer .* set KD_CONFIG_JSON to the config JSON or KD_CONFIG_JSON_PATH to a file holding it/,
    );
  });

  it('names the source of a config that is not JSON, and the field of an invalid one', () => {
    expect(() => loadFunctionConfig({ env: { KD_CONFIG_JSON: '{' } })).toThrow(
      /^KD_CONFIG_JSON is not valid JSON/,
    );
    const invalid = JSON.stringify({ ...JSON.parse(EXAMPLE_JSON), destinations: 'none' });
    const load = () =>
      loadFunctionConfig({ env: {}, readFile: filesOnly({ [DEFAULT_CONFIG_JSON_PATH]: invalid }) });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/\/opt\/kinesis-destination\/config\.json[\s\S]*destinations/);
  });

  it('merges KD_CONFIG_OVERRIDES over the named destinations, then validates the result', () => {
    const overrides = { destinations: { analytics: { streamName: 'from-a-token' } } };

    const { config } = loadFunctionConfig({
      env: { KD_CONFIG_JSON: EXAMPLE_JSON, KD_CONFIG_OVERRIDES: JSON.stringify(overrides) },
    });

    expect(config.destinations.find((d) => d.id === 'analytics')?.streamName).toBe('from-a-token');
    expect(config.destinations.find((d) => d.id === 'marketing')?.streamName).toBe('profile-exports');
    const invalid = JSON.stringify({ destinations: { analytics: { streamName: 'not a name!' } } });
    expect(() =>
      loadFunctionConfig({ env: { KD_CONFIG_JSON: EXAMPLE_JSON, KD_CONFIG_OVERRIDES: invalid } }),
    ).toThrow(ConfigError);
  });

  it('refuses overrides of another shape or of a destination the config does not have', () => {
    const load = (overrides: string) =>
      loadFunctionConfig({ env: { KD_CONFIG_JSON: EXAMPLE_JSON, KD_CONFIG_OVERRIDES: overrides } });

    expect(() => load('[]')).toThrow(/^KD_CONFIG_OVERRIDES must be \{"destinations"/);
    expect(() => load('{"destinations":{"crm":{"streamName":"x"}}}')).toThrow(
      'KD_CONFIG_OVERRIDES names destinations the config does not have: crm (the config has marketing, analytics)',
    );
    expect(() => load('{')).toThrow(/^KD_CONFIG_OVERRIDES is not valid JSON/);
  });
});
