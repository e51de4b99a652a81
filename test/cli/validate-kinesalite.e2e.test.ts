/**
 * `validate` against a real Kinesis emulator (kinesalite): what the PutRecords probe gets back, and
 * that it writes nothing.
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_EXPLICIT_HASH_KEY, PROBE_PARTITION_KEY } from '../../adapters/connection-check.js';
import { validateDestination } from '../../cli/validate.js';
import { waitFor } from '../../local/wait.js';
import { type Kinesalite, kinesisClient, startKinesalite } from '../faults/emulators.js';
import { parsedDestination } from '../helpers/factories.js';

let kinesalite: Kinesalite;
let kinesis: KinesisClient;

const destination = parsedDestination({ region: 'us-east-1', streamName: 'validate-probe', attributes: [] });

const options = () => ({
  skipCredentials: 'no STS emulator',
  clients: {
    sts: () => {
      throw new Error('STS must not be called');
    },
    kms: () => {
      throw new Error('KMS must not be called');
    },
    secrets: () => {
      throw new Error('Secrets Manager must not be called');
    },
    kinesis: () => kinesis,
  },
});

beforeAll(async () => {
  kinesalite = await startKinesalite();
  kinesis = kinesisClient(kinesalite.url, { maxAttempts: 1 });
  await kinesis.send(new CreateStreamCommand({ StreamName: destination.streamName, ShardCount: 1 }));
  await waitFor('stream ACTIVE', async () => {
    const { StreamDescription } = await kinesis.send(
      new DescribeStreamCommand({ StreamName: destination.streamName }),
    );
    return StreamDescription?.StreamStatus === 'ACTIVE';
  });
});

afterAll(async () => {
  kinesis?.destroy();
  await kinesalite?.close();
});

describe('the PutRecords permission probe on kinesalite', () => {
  it('is refused with InvalidArgumentException for its hash key, and writes nothing', async () => {
    const rows = await validateDestination(destination, options());

    expect(rows.map((r) => [r.check, r.status])).toEqual([
      ['credentials', 'skipped'],
      ['list-streams', 'passed'],
      ['stream-exists', 'passed'],
      ['stream-active', 'passed'],
      ['stream-key', 'passed'],
      ['record-distribution', 'passed'],
      ['record-size', 'passed'],
      ['put-records', 'passed'],
    ]);
    const { StreamDescription } = await kinesis.send(
      new DescribeStreamCommand({ StreamName: destination.streamName }),
    );
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: destination.streamName,
        ShardId: StreamDescription?.Shards?.[0]?.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(Records).toEqual([]);
  });

  it('answers the probe and an empty request the way the documented approach relies on', async () => {
    const probe = kinesis.send(
      new PutRecordsCommand({
        StreamName: destination.streamName,
        Records: [
          {
            Data: new Uint8Array([0]),
            PartitionKey: PROBE_PARTITION_KEY,
            ExplicitHashKey: PROBE_EXPLICIT_HASH_KEY,
          },
        ],
      }),
    );
    // An empty request fails model validation, which says nothing about permissions.
    const empty = kinesis.send(new PutRecordsCommand({ StreamName: 'no-such-stream', Records: [] }));

    await expect(probe).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(empty).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('fails a stream that does not exist', async () => {
    const rows = await validateDestination({ ...destination, streamName: 'missing-stream' }, options());

    expect(rows.find((r) => r.check === 'stream-exists')).toMatchObject({ status: 'failed' });
    expect(rows.find((r) => r.check === 'put-records')).toMatchObject({ status: 'skipped' });
  });
});
