/**
 * End to end through the real functions: a profile's exports arrive in order while the export
 * mapping runs concurrent batches and partial failures are injected; a message the export function
 * keeps failing is attempted exactly three times (real attempts, counted in its failure record; the
 * queue's maxReceiveCount is only a backstop) and the function then moves it to the dead-letter queue
 * with its full document and its failure attached.
 */
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfiles } from '../../adapters/profile-writer.js';
import type { DestinationConfig } from '../../core/config.js';
import { readDeadLetterReason } from '../../core/dead-letter.js';
import { exportDocumentOf, exportMessageSchema, readExportMessage } from '../../core/export-message.js';
import type { LambdaHandler } from '../../local/event-sources/invoke.js';
import type { LocalStack } from '../../local/stack.js';
import { waitFor } from '../../local/wait.js';
import { startTestStack } from '../helpers/stack.js';

const SEGMENT = '5b998cb9-9488-4ec3-8d95-fa8338ced490';
const DOOMED_SEGMENT = 'seg-doomed';

const config: DestinationConfig = {
  destinations: [
    {
      id: 'marketing',
      name: 'marketing',
      region: 'us-east-2',
      streamName: 'e2e-marketing',
      includeSegmentNames: true,
      includeSegmentTimestamps: false,
      segments: [{ id: SEGMENT, mappingCreatedAt: 1649856570000, mappingUpdatedAt: 1649856570000 }],
      attributes: ['person.name.firstName'],
    },
    {
      // Its stream is deleted after start, so every put to it fails in the real export function.
      id: 'doomed',
      name: 'doomed',
      region: 'us-east-2',
      streamName: 'e2e-doomed',
      includeSegmentNames: false,
      includeSegmentTimestamps: false,
      segments: [{ id: DOOMED_SEGMENT, mappingCreatedAt: 1649856570000, mappingUpdatedAt: 1649856570000 }],
      attributes: ['person.name.firstName'],
    },
  ],
  segmentCatalog: [
    {
      id: SEGMENT,
      name: 'First name equals John',
      mergePolicyId: 'mp',
      createdAt: 1648553325000,
      updatedAt: 1648553330000,
    },
    {
      id: DOOMED_SEGMENT,
      name: 'Doomed',
      mergePolicyId: 'mp',
      createdAt: 1648553325000,
      updatedAt: 1648553330000,
    },
  ],
};

/** Injected failures: a deterministic share of first deliveries fail, with the rest of their group. */
function injectPartialFailures(
  seen: { running: number; maxRunning: number; injected: number },
  real: LambdaHandler<SQSEvent, unknown>,
): LambdaHandler<SQSEvent, SQSBatchResponse> {
  return async (event, context) => {
    seen.running++;
    seen.maxRunning = Math.max(seen.maxRunning, seen.running);
    try {
      const failedGroups = new Set<string>();
      const forward: SQSRecord[] = [];
      const injected: string[] = [];
      for (const record of event.Records) {
        const group = record.attributes.MessageGroupId ?? '';
        const first = record.attributes.ApproximateReceiveCount === '1';
        // Every third first delivery fails (by message id, so the pattern is stable per message).
        const unlucky =
          first && Number.parseInt(record.messageId.replaceAll('-', '').slice(-4), 16) % 3 === 0;
        if (failedGroups.has(group) || unlucky) {
          failedGroups.add(group);
          injected.push(record.messageId);
          continue;
        }
        forward.push(record);
      }
      seen.injected += injected.length;
      const response = (forward.length > 0 ? await real({ Records: forward }, context) : undefined) as
        | SQSBatchResponse
        | undefined;
      return {
        batchItemFailures: [
          ...(response?.batchItemFailures ?? []),
          ...injected.map((itemIdentifier) => ({ itemIdentifier })),
        ],
      };
    } finally {
      seen.running--;
    }
  };
}

const seen = { running: 0, maxRunning: 0, injected: 0 };
const doomedReceiveCounts: number[] = [];
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    config,
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true' },
    // Retries after a failure wait for the visibility timeout: shorter than the scaled 18 s, but with
    // room for a slow batch on a busy machine (a timed-out batch fails whole and uses up a receive).
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 2_500 },
    decideMapping: { maxBatchingWindowMs: 100 },
    wrapHandlers: {
      export: (real) => {
        const injecting = injectPartialFailures(seen, real);
        return async (event, context) => {
          for (const r of event.Records) {
            if (r.attributes.MessageGroupId?.startsWith('doomed:'))
              doomedReceiveCounts.push(Number(r.attributes.ApproximateReceiveCount));
          }
          // The doomed destination fails in the real function; the others get injected failures.
          const doomed = event.Records.filter((r) => r.attributes.MessageGroupId?.startsWith('doomed:'));
          const rest = event.Records.filter((r) => !r.attributes.MessageGroupId?.startsWith('doomed:'));
          const a =
            doomed.length > 0
              ? ((await real({ Records: doomed }, context)) as SQSBatchResponse | undefined)
              : undefined;
          const b = rest.length > 0 ? await injecting({ Records: rest }, context) : undefined;
          return { batchItemFailures: [...(a?.batchItemFailures ?? []), ...(b?.batchItemFailures ?? [])] };
        };
      },
    },
  });
  await stack.clients.kinesis.send(new DeleteStreamCommand({ StreamName: 'e2e-doomed' }));
});

afterAll(async () => {
  await stack?.stop();
});

describe('ordering and dead letters, end to end', () => {
  it("delivers each profile's exports in order under concurrent batches and injected partial failures", async () => {
    const profiles = Array.from({ length: 8 }, (_, i) => `order-${i}`);
    const versions = 6;
    // Each round writes every profile once; a profile's writes stay in order.
    for (let v = 1; v <= versions; v++) {
      await writeProfiles(
        profiles.map((profileId) => ({
          profileId,
          person: { name: { firstName: `v${v}` } },
          ...(v === 1 && {
            segmentMembership: {
              ups: { [SEGMENT]: { status: 'realized', lastQualificationTime: '2022-01-11T21:24:39Z' } },
            },
          }),
        })),
        { tableName: stack.resources.profileTableName },
      );
    }
    await stack.waitForIdle({ timeoutMs: 45_000 });
    const records = await stack.readRecords('marketing');
    for (const profileId of profiles) {
      const names = records
        .filter((r) => r.partitionKey === profileId)
        .map((r) => (r.data as { person?: { name?: { firstName?: string } } }).person?.name?.firstName);
      expect(names, profileId).toEqual(Array.from({ length: versions }, (_, i) => `v${i + 1}`));
    }
    expect(seen.injected).toBeGreaterThan(0);
    expect(seen.maxRunning).toBeGreaterThan(1);
    expect(await stack.queueDepth('dlq')).toBe(0);
  });

  it('attempts a message that keeps failing exactly three times, then it sits in the DLQ with its full document and its failure', async () => {
    await writeProfiles(
      [
        {
          profileId: 'doomed-1',
          person: { name: { firstName: 'Doomed' } },
          segmentMembership: {
            ups: { [DOOMED_SEGMENT]: { status: 'realized', lastQualificationTime: '2022-01-11T21:24:39Z' } },
          },
        },
      ],
      { tableName: stack.resources.profileTableName },
    );
    await waitFor('the DLQ holds the message', async () => (await stack.queueDepth('dlq')) === 1, {
      timeoutMs: 45_000,
      intervalMs: 250,
    });
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.resources.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    const message = exportMessageSchema.parse(readExportMessage(Messages[0]?.Body ?? '{}'));
    expect(message.destinationId).toBe('doomed');
    expect(message.profileId).toBe('doomed-1');
    expect(exportDocumentOf(message)).toMatchObject({
      person: { name: { firstName: 'Doomed' } },
      segmentMembership: { ups: { [DOOMED_SEGMENT]: { status: 'realized' } } },
    });
    // Three deliveries to the real function (receive counts 1, 2, 3), none after.
    expect(doomedReceiveCounts).toEqual([1, 2, 3]);
    // The function moved it after its third attempt, with the failure attached.
    expect(readDeadLetterReason(Messages[0]?.MessageAttributes)).toMatchObject({
      errorCode: 'ResourceNotFoundException',
      attempts: 3,
      retryable: true,
      destinationId: 'doomed',
      exportId: message.exportId,
    });
  });
});
