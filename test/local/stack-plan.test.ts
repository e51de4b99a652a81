import { describe, expect, it } from 'vitest';
import { LocalStackError } from '../../local/errors.js';
import type { LocalResources } from '../../local/resources.js';
import {
  cliEnvironment,
  functionEnvironment,
  pipelineSummary,
  planLocalStack,
  stackTimings,
} from '../../local/stack-plan.js';

const resources: LocalResources = {
  profileTableName: 'profiles',
  profileTableStreamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/profiles/stream/x',
  stateTableName: 'kinesis-destination-state',
  exportQueueUrl: 'http://127.0.0.1:9324/000000000000/kinesis-destination-export.fifo',
  deadLetterQueueUrl: 'http://127.0.0.1:9324/000000000000/kinesis-destination-export-dlq.fifo',
  rejectsQueueUrl: 'http://127.0.0.1:9324/000000000000/kinesis-destination-rejects',
  decideFailuresQueueUrl: 'http://127.0.0.1:9324/000000000000/kinesis-destination-decide-failures',
  streams: { marketing: 'profile-exports' },
};
const endpoints = {
  dynamodb: 'http://127.0.0.1:8000',
  kinesis: 'http://127.0.0.1:4567',
  sqs: 'http://127.0.0.1:9324',
};

describe('planLocalStack()', () => {
  it('passes only the ports and flags the caller set to each emulator', () => {
    const plan = planLocalStack({ ports: { sqs: 9324 }, portFlags: { sqs: '--sqs-port' } });

    expect(plan.emulators).toEqual({
      dynamodb: {},
      kinesis: {},
      sqs: { port: 9324, portFlag: '--sqs-port' },
    });
  });

  it('runs the pipeline unless told not to, with the mapping overrides', () => {
    expect(planLocalStack({ decideMapping: { maxBatchingWindowMs: 100 } }).pipeline).toEqual({
      decideMapping: { maxBatchingWindowMs: 100 },
      exportMapping: {},
    });
    expect(planLocalStack({ runPipeline: false }).pipeline).toBeUndefined();
  });

  it('keeps DynamoDB Local in memory unless asked to persist it', () => {
    expect(planLocalStack({}).persistDynamoDb).toBe(false);
    expect(planLocalStack({ persistDynamoDb: true }).persistDynamoDb).toBe(true);
  });

  it('uses a shared DynamoDB Local only when nothing needs the stack to own one', () => {
    const sharedDynamoDb = { endpoint: 'http://127.0.0.1:8000', tablePrefix: 't42-1' };
    expect(planLocalStack({}).sharedDynamoDb).toBeUndefined();
    expect(planLocalStack({ sharedDynamoDb }).sharedDynamoDb).toEqual(sharedDynamoDb);
    expect(planLocalStack({ sharedDynamoDb, ports: { dynamodb: 0 } }).sharedDynamoDb).toEqual(sharedDynamoDb);
    expect(() =>
      planLocalStack({ sharedDynamoDb, persistDynamoDb: true, ports: { dynamodb: 8001 } }),
    ).toThrow(
      new LocalStackError(
        "sharedDynamoDb cannot be combined with persistDynamoDb or ports.dynamodb: they need the stack's own DynamoDB Local — drop sharedDynamoDb or persistDynamoDb and ports.dynamodb",
      ),
    );
    expect(() => planLocalStack({ sharedDynamoDb: { ...sharedDynamoDb, tablePrefix: 'a b' } })).toThrow(
      /tablePrefix "a b" cannot begin a DynamoDB table name: use 1–200 of A–Z/,
    );
  });
});

describe('stackTimings()', () => {
  it('never lets the export timeout exceed the visibility timeout (Lambda refuses that mapping)', () => {
    const timings = stackTimings(0.1, { exportVisibilityTimeoutSeconds: 2, exportTimeoutMs: 5_000 });

    expect(timings.exportTimeoutMs).toBe(2_000);
  });
});

describe('functionEnvironment() and cliEnvironment()', () => {
  const functionEnv = functionEnvironment({
    configJson: '{"destinations":[]}',
    resources,
    timings: stackTimings(),
    endpoints,
    functionKinesisEndpoint: 'http://127.0.0.1:5555',
    extra: { POWERTOOLS_LOG_LEVEL: 'WARN' },
  });

  it('aims the functions at the emulators (Kinesis at the override) with the resources and extras', () => {
    expect(functionEnv).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
      AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:5555',
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      EXPORT_QUEUE_URL: resources.exportQueueUrl,
      EXPORT_MAX_RECEIVE_COUNT: '31',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
  });

  it('gives the CLI the emulator itself for Kinesis, the DLQ and the config file', () => {
    const env = cliEnvironment(functionEnv, endpoints, resources, '/repo/examples/config.json');

    expect(env.AWS_ENDPOINT_URL_KINESIS).toBe(endpoints.kinesis);
    expect(env.DLQ_URL).toBe(resources.deadLetterQueueUrl);
    expect(env.AWS_DEFAULT_REGION).toBe(env.AWS_REGION);
    expect(env.KD_CONFIG).toBe('/repo/examples/config.json');
    expect(cliEnvironment(functionEnv, endpoints, resources, undefined)).not.toHaveProperty('KD_CONFIG');
  });
});

describe('pipelineSummary()', () => {
  it('names the batch sizes, concurrency and timeouts the mappings run with', () => {
    const summary = pipelineSummary(
      { decideMapping: { batchSize: 7 }, exportMapping: { concurrency: 2 } },
      stackTimings(),
    );

    expect(summary).toMatch(
      /^pipeline running: decide \(batch 7, timeout \d+ ms\), export \(batch \d+ × 2 concurrent/,
    );
  });
});
