import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportDocumentOf, exportMessageSchema, readExportMessage } from '../../../core/export-message.js';
import { runBackfill } from '../../../lambdas/backfill/backfill.js';
import { planBackfillPage } from '../../../lambdas/backfill/backfill-page.js';
import { compiledConfig, member, membership, SEG } from '../../helpers/factories.js';

const dynamo = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

/** The characters JSON leaves as they are and SQS refuses in a message body. */
const REFUSED_BY_SQS = /[\uFFFE\uFFFF]/;

let bodies: string[];

beforeEach(() => {
  dynamo.reset();
  documents.reset();
  sqs.reset();
  bodies = [];
  dynamo.on(DescribeTableCommand).resolves({ Table: { ItemCount: 1 } });
  documents.on(GetCommand).resolves({});
  documents.on(PutCommand).resolves({});
  documents.on(UpdateCommand).resolves({});
  // SQS as it answers a body holding U+FFFE or U+FFFF: the entry is refused as the sender's fault.
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    const entries = input.Entries ?? [];
    const refused = entries.filter((e) => REFUSED_BY_SQS.test(e.MessageBody ?? ''));
    bodies.push(...entries.filter((e) => !refused.includes(e)).map((e) => e.MessageBody ?? ''));
    return {
      Successful: entries
        .filter((e) => !refused.includes(e))
        .map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
      Failed: refused.map((e) => ({
        Id: e.Id,
        SenderFault: true,
        Code: 'InvalidMessageContents',
        Message: 'Invalid binary character',
      })),
    };
  });
});

describe('runBackfill()', () => {
  it('queues a profile whose mapped attribute holds U+FFFF, escaped as SQS requires', async () => {
    const firstName = 'Jo\uFFFFhn\uFFFE';
    const profile = member({ [SEG.delorean]: membership('realized') }, { person: { name: { firstName } } });
    dynamo
      .on(ScanCommand)
      .resolves({ Items: [marshall(profile)], ScannedCount: 1, ConsumedCapacity: { CapacityUnits: 1 } });

    const result = await runBackfill({
      dynamo: new DynamoDBClient({}),
      sqs: new SQSClient({}),
      profileTableName: 'profiles',
      stateTableName: 'state',
      exportQueueUrl: 'https://sqs.local/000000000000/export.fifo',
      config: compiledConfig(),
      destinationId: 'marketing',
      segmentIds: [SEG.delorean],
      mode: 'new',
      runId: 'run-1',
      totalSegments: 1,
      readUnitsPerSecond: 1_000_000,
    });

    expect(result).toMatchObject({ status: 'completed', queued: 1, refused: 0 });
    expect(bodies).toHaveLength(1);
    const message = exportMessageSchema.parse(readExportMessage(bodies[0] ?? ''));
    expect(exportDocumentOf(message)).toMatchObject({ person: { name: { firstName } } });
  });
});

describe('planBackfillPage()', () => {
  it('exports each member of a backfilled segment once with reason backfill, and counts what is not a profile', () => {
    const config = compiledConfig();
    const destination = config.destinations[0];
    if (destination === undefined) throw new Error('no destination');
    const items = [
      marshall(member({ [SEG.delorean]: membership('realized') }, { profileId: 'p-1' })),
      marshall(member({ [SEG.delorean]: membership('exited') }, { profileId: 'p-2' })),
      marshall({ person: { name: { firstName: 'no profile id' } } }),
    ];

    const plan = planBackfillPage(items, {
      runId: 'run-1',
      destination,
      segmentIds: new Set([SEG.delorean]),
      config,
      scanTime: 1_000,
      now: () => 2_000,
    });

    expect(plan.invalid).toBe(1);
    expect(plan.tooLarge).toBe(0);
    expect(plan.exports.map((e) => e.message)).toEqual([
      expect.objectContaining({
        profileId: 'p-1',
        reasons: ['backfill'],
        sourceEventId: 'backfill:run-1:p-1',
        sourceTime: 1_000,
        queuedAt: 2_000,
      }),
    ]);
  });

  it('maps every DynamoDB value type as the stream does: exact numbers, sorted sets, base64 binaries', () => {
    const config = compiledConfig([{ attributes: ['loyalty.points', 'loyalty.tags', 'loyalty.badge'] }]);
    const destination = config.destinations[0];
    if (destination === undefined) throw new Error('no destination');
    // A Scan returns binaries as bytes and numbers as text: the item as the SDK hands it over.
    const item = {
      ...marshall(member({ [SEG.delorean]: membership('realized') }, { profileId: 'p-values' })),
      loyalty: {
        M: {
          points: { N: '12345678901234567890.123' },
          tags: { SS: ['gold', 'early', 'beta'] },
          badge: { B: new TextEncoder().encode('hello') },
        },
      },
    };

    const plan = planBackfillPage([item], {
      runId: 'run-1',
      destination,
      segmentIds: new Set([SEG.delorean]),
      config,
      scanTime: 1_000,
      now: () => 2_000,
    });

    const exported = plan.exports[0];
    if (exported === undefined) throw new Error('nothing exported');
    expect(exported.message.documentJson).toContain(
      '"loyalty":{"badge":"aGVsbG8=","points":12345678901234567890.123,"tags":["beta","early","gold"]}',
    );
  });
});
