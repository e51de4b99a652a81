import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listDeadLetters } from '../../cli/dlq/listing.js';
import { formatDeadLetterTable } from '../../cli/dlq/table.js';
import { deadLetterAttributes } from '../../core/dead-letter.js';
import {
  type ExportMessage,
  exportDocumentOf,
  exportMessageBody,
  messageGroupIdFor,
} from '../../core/export-message.js';
import { exportMessage as queuedExport } from '../helpers/factories.js';

const sqsMock = mockClient(SQSClient);
const docMock = mockClient(DynamoDBDocumentClient);
const sqs = new SQSClient({ region: 'us-east-1' });
const dynamo = new DynamoDBClient({ region: 'us-east-1' });

const DLQ = 'http://sqs.local/123456789012/kinesis-destination-export-dlq.fifo';

/**
 * A dead letter's export message as production writes it (test/helpers/factories.ts, the production
 * builder), with a short export id: the failure records below are keyed by it.
 */
function exportMessage(profileId: string, destinationId: string, exportId: string): ExportMessage {
  const { message } = queuedExport({
    destinationId,
    profileId,
    profileVersion: 1_700_000_000_000,
    reasons: ['segment-membership'],
    sourceEventId: `event-${exportId}`,
    sourceTime: 1_700_000_000_000,
    queuedAt: 1_700_000_000_500,
    document: {
      personalEmail: { address: 'jane.doe@example.com' },
      identityMap: { email: [{ id: 'jane.doe@example.com' }] },
    },
  });
  return { ...message, exportId };
}

function sqsMessage(m: ExportMessage, id: string): Message {
  return {
    MessageId: id,
    ReceiptHandle: `handle-${id}`,
    Body: exportMessageBody(m),
    Attributes: {
      MessageGroupId: messageGroupIdFor(m.destinationId, m.profileId),
      SentTimestamp: '1700000001000',
    },
  };
}

const letters = [
  sqsMessage(exportMessage('p-1', 'marketing', 'e1'), 'm1'),
  sqsMessage(exportMessage('p-2', 'analytics', 'e2'), 'm2'),
  sqsMessage(exportMessage('p-3', 'marketing', 'e3'), 'm3'),
];

beforeEach(() => {
  sqsMock.reset();
  docMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      QueueArn: 'arn:aws:sqs:us-east-1:123456789012:queue',
      ApproximateNumberOfMessages: '3',
      ApproximateNumberOfMessagesNotVisible: '0',
    },
  });
  // The queue hands out each message once while they are held, then nothing.
  sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: letters }).resolves({});
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  docMock.on(BatchGetCommand).resolves({
    Responses: {
      state: [
        {
          pk: 'failure#e1',
          destinationId: 'marketing',
          profileId: 'p-1',
          code: 'ResourceNotFoundException',
          message: 'Stream profile-exports under account 123456789012 not found.',
          attempts: 3,
          firstFailureAt: 1_700_000_001_000,
          lastFailureAt: 1_700_000_061_000,
        },
      ],
    },
  });
});

describe('listDeadLetters()', () => {
  it('joins each message with its failure record and leaves documents out', async () => {
    const listing = await listDeadLetters({ sqs, dynamo, dlqUrl: DLQ, stateTableName: 'state' });

    expect(listing.rows).toHaveLength(3);
    expect(listing.rows[0]).toMatchObject({
      profileId: 'p-1',
      destinationId: 'marketing',
      errorCode: 'ResourceNotFoundException',
      attempts: 3,
      firstFailureAt: '2023-11-14T22:13:21.000Z',
      lastFailureAt: '2023-11-14T22:14:21.000Z',
    });
    expect(listing.rows[1]).toMatchObject({ profileId: 'p-2', errorCode: 'UNKNOWN' });
    expect(JSON.stringify(listing.rows)).not.toContain('jane.doe@example.com');
    expect(docMock.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.state?.Keys).toEqual([
      { pk: 'failure#e1' },
      { pk: 'failure#e2' },
      { pk: 'failure#e3' },
    ]);
  });

  it('peeks without consuming: short polling, then every held message is released', async () => {
    await listDeadLetters({ sqs, dynamo, dlqUrl: DLQ, stateTableName: 'state' });

    const receives = sqsMock.commandCalls(ReceiveMessageCommand);
    expect(receives.every((c) => c.args[0].input.WaitTimeSeconds === 0)).toBe(true);
    const released = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(released.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['handle-m1', 0],
      ['handle-m2', 0],
      ['handle-m3', 0],
    ]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it("keeps only one destination's exports with --destination", async () => {
    const listing = await listDeadLetters({
      sqs,
      dynamo,
      dlqUrl: DLQ,
      stateTableName: 'state',
      destinationId: 'marketing',
    });

    expect(listing.rows.map((r) => r.profileId)).toEqual(['p-1', 'p-3']);
  });

  it('includes the document only with showPayload', async () => {
    const listing = await listDeadLetters({
      sqs,
      dynamo,
      dlqUrl: DLQ,
      stateTableName: 'state',
      limit: 1,
      showPayload: true,
    });

    expect(listing.rows).toHaveLength(1);
    expect(listing.truncated).toBe(true);
    expect(listing.rows[0]?.document).toEqual(exportDocumentOf(exportMessage('p-1', 'marketing', 'e1')));
  });

  it('reads the failure the export function attached to a message it moved, without the state table', async () => {
    const moved = sqsMessage(exportMessage('p-9', 'marketing', 'e9'), 'm9');
    moved.MessageAttributes = deadLetterAttributes({
      errorCode: 'AccessDeniedException',
      errorMessage: 'not authorized to perform kinesis:PutRecords',
      attempts: 3,
      retryable: true,
      firstFailureAt: 1_700_000_001_000,
      lastFailureAt: 1_700_000_061_000,
      destinationId: 'marketing',
      exportId: 'e9',
    });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [moved] })
      .resolves({});

    const listing = await listDeadLetters({ sqs, dynamo, dlqUrl: DLQ, stateTableName: 'state' });

    expect(listing.rows).toEqual([
      expect.objectContaining({
        profileId: 'p-9',
        errorCode: 'AccessDeniedException',
        errorMessage: 'not authorized to perform kinesis:PutRecords',
        attempts: 3,
        firstFailureAt: '2023-11-14T22:13:21.000Z',
        lastFailureAt: '2023-11-14T22:14:21.000Z',
        movedBy: 'function',
      }),
    ]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.MessageAttributeNames).toEqual([
      'All',
    ]);
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('says why a message the queue moved has no failure', async () => {
    const listing = await listDeadLetters({ sqs, dynamo, dlqUrl: DLQ, stateTableName: 'state' });

    expect(listing.rows[1]).toMatchObject({ errorCode: 'UNKNOWN', movedBy: 'queue' });
    expect(listing.rows[1]?.errorMessage).toMatch(/moved by the queue itself, and no failure record/);
  });

  it('reports a body that is not an export message instead of failing', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'x', ReceiptHandle: 'h', Body: 'oops' }] })
      .resolves({});

    const listing = await listDeadLetters({ sqs, dynamo, dlqUrl: DLQ, stateTableName: 'state' });

    expect(listing.rows[0]).toMatchObject({ errorCode: 'UNREADABLE', errorMessage: 'body is not JSON' });
  });
});

describe('formatDeadLetterTable()', () => {
  it('prints one row per export and no payload unless the row carries it', async () => {
    const listing = await listDeadLetters({ sqs, dynamo, dlqUrl: DLQ, stateTableName: 'state' });

    const table = formatDeadLetterTable(listing.rows);

    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^PROFILE\s+DESTINATION\s+ERROR\s+ATTEMPTS\s+FIRST FAILURE\s+LAST FAILURE\s+MOVED BY\s+MESSAGE$/,
    );
    expect(lines[1]).toMatch(
      /^p-1\s+marketing\s+ResourceNotFoundException\s+3\s+2023-11-14T22:13:21.000Z\s+2023-11-14T22:14:21.000Z\s+queue\s+Stream/,
    );
    expect(lines).toHaveLength(4);
    expect(table).not.toContain('jane.doe');
  });

  it('prints the payload under its row with --show-payload', async () => {
    const listing = await listDeadLetters({
      sqs,
      dynamo,
      dlqUrl: DLQ,
      stateTableName: 'state',
      showPayload: true,
    });

    const table = formatDeadLetterTable(listing.rows);

    expect(table).toContain('    payload: {"personalEmail":{"address":"jane.doe@example.com"}');
  });
});
