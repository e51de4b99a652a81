/**
 * `redriveDeadLetters()` on an in-memory SQS with visibility timeouts (test/helpers/fake-sqs.ts):
 * the pairing check, the plan, the two mechanisms, what stays behind, and the final check that makes
 * COMPLETED mean that every planned dead letter left the DLQ.
 */
import { SendMessageBatchCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { redriveDeduplicationId } from '../../cli/dlq/move-selected.js';
import { redriveDeadLetters } from '../../cli/dlq/redrive.js';
import type { RedrivePlan } from '../../cli/dlq/redrive-types.js';
import { deadLetterAttributes } from '../../core/dead-letter.js';
import { UsageError } from '../../core/errors.js';
import { exportMessage } from '../helpers/factories.js';
import { FakeQueue, installFakeSqs } from '../helpers/fake-sqs.js';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });
const ARN = (name: string) => `arn:aws:sqs:us-east-1:123456789012:${name}`;

let dlq: FakeQueue;
let exportQueue: FakeQueue;
let otherDlq: FakeQueue;
let otherExportQueue: FakeQueue;

function deadLetter(
  queue: FakeQueue,
  profileId: string,
  destinationId = 'marketing',
  retryable = true,
): string {
  const m = exportMessage({ profileId, destinationId });
  return queue.put(
    m.body,
    m.groupId,
    deadLetterAttributes({
      errorCode: retryable ? 'ResourceNotFoundException' : 'InvalidRecord',
      errorMessage: 'x',
      attempts: retryable ? 3 : 1,
      retryable,
      firstFailureAt: 1,
      lastFailureAt: 2,
      destinationId,
      exportId: m.message.exportId,
    }),
  );
}

function install(options: { refuseBodiesWith?: string[]; maxPerReceive?: number } = {}) {
  installFakeSqs(sqsMock, [dlq, exportQueue, otherDlq, otherExportQueue], options);
}

beforeEach(() => {
  sqsMock.reset();
  dlq = new FakeQueue('http://sqs/a-dlq.fifo', ARN('a-dlq.fifo'));
  exportQueue = new FakeQueue('http://sqs/a-export.fifo', ARN('a-export.fifo'), ARN('a-dlq.fifo'));
  otherDlq = new FakeQueue('http://sqs/b-dlq.fifo', ARN('b-dlq.fifo'));
  otherExportQueue = new FakeQueue('http://sqs/b-export.fifo', ARN('b-export.fifo'), ARN('b-dlq.fifo'));
  install();
});

const base = () => ({
  sqs,
  dlqUrl: dlq.url,
  exportQueueUrl: exportQueue.url,
  pollIntervalMs: 1,
  settleMs: 0,
});

describe('redriveDeadLetters()', () => {
  it('moves the whole DLQ with a move task at the given rate and checks it is empty after', async () => {
    for (const id of ['p-1', 'p-2', 'p-3']) deadLetter(dlq, id);

    const result = await redriveDeadLetters({ ...base(), rate: 25 });

    expect(result).toEqual({
      mechanism: 'move-task',
      dryRun: false,
      toMove: 3,
      moved: 3,
      failed: 0,
      skipped: 0,
      inFlight: 0,
      status: 'COMPLETED',
    });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: dlq.arn,
      DestinationArn: exportQueue.arn,
      MaxNumberOfMessagesPerSecond: 25,
    });
    expect(dlq.messages).toHaveLength(0);
    expect(exportQueue.messages).toHaveLength(3);
  });

  it("refuses a DLQ that is not the export queue's dead-letter target, naming both ARNs, and moves nothing", async () => {
    deadLetter(dlq, 'p-1');

    const attempt = redriveDeadLetters({ ...base(), exportQueueUrl: otherExportQueue.url });

    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      `the dead-letter queue ${dlq.arn} is not the export queue's: export queue ${otherExportQueue.arn} dead-letters into ${otherDlq.arn}`,
    );
    expect(dlq.messages).toHaveLength(1);
    expect(otherExportQueue.messages).toHaveLength(0);
  });

  it('runs the checks on a dry run and moves nothing', async () => {
    deadLetter(dlq, 'p-1');
    const plans: RedrivePlan[] = [];

    const result = await redriveDeadLetters({
      ...base(),
      dryRun: true,
      checkPlan: async (plan) => {
        plans.push(plan);
      },
      confirm: () => Promise.reject(new Error('a dry run asks nothing')),
    });

    expect(result).toMatchObject({ status: 'DRY_RUN', toMove: 1, moved: 0 });
    expect(plans[0]).toMatchObject({ dlqArn: dlq.arn, exportQueueArn: exportQueue.arn, selected: 1 });
    expect(dlq.visible()).toHaveLength(1);
  });

  it('moves nothing when the checks or the confirmation refuse', async () => {
    deadLetter(dlq, 'p-1');

    await expect(
      redriveDeadLetters({ ...base(), checkPlan: () => Promise.reject(new UsageError('stream missing')) }),
    ).rejects.toThrow('stream missing');
    await expect(
      redriveDeadLetters({ ...base(), confirm: () => Promise.reject(new UsageError('not confirmed')) }),
    ).rejects.toThrow('not confirmed');
    expect(dlq.visible()).toHaveLength(1);
    expect(exportQueue.messages).toHaveLength(0);
  });

  it("moves one destination's dead letters itself, with their groups, and releases the others", async () => {
    const m1 = deadLetter(dlq, 'p-1');
    deadLetter(dlq, 'p-2', 'analytics');
    const m3 = deadLetter(dlq, 'p-3');

    const result = await redriveDeadLetters({ ...base(), destinationId: 'marketing' });

    expect(result).toMatchObject({
      mechanism: 'selective',
      toMove: 2,
      moved: 2,
      failed: 0,
      status: 'COMPLETED',
    });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(exportQueue.messages.map((m) => m.groupId)).toEqual(['marketing:p-1', 'marketing:p-3']);
    expect(dlq.visible().map((m) => m.groupId)).toEqual(['analytics:p-2']);
    const sent = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input as {
      Entries: { MessageDeduplicationId: string }[];
    };
    expect(sent.Entries.map((e) => e.MessageDeduplicationId)).toEqual([
      redriveDeduplicationId(m1),
      redriveDeduplicationId(m3),
    ]);
  });

  it('leaves dead letters marked Retryable=false in the DLQ and says how many, unless told to move them', async () => {
    deadLetter(dlq, 'p-1');
    deadLetter(dlq, 'p-2', 'marketing', false);

    const result = await redriveDeadLetters(base());

    expect(result).toMatchObject({ mechanism: 'selective', moved: 1, skipped: 1, status: 'COMPLETED' });
    expect(dlq.messages).toHaveLength(1);

    const again = await redriveDeadLetters({ ...base(), includeNonRetryable: true });

    expect(again).toMatchObject({ mechanism: 'move-task', moved: 1, skipped: 0, status: 'COMPLETED' });
    expect(dlq.messages).toHaveLength(0);
  });

  it('keeps a message whose send failed, with the later ones of its group, and is not COMPLETED', async () => {
    deadLetter(dlq, 'p-1');
    deadLetter(dlq, 'p-1');
    deadLetter(dlq, 'p-2');
    // One message per receive: the later message of p-1 is read after its first failed to send.
    install({ refuseBodiesWith: [dlq.messages[0]?.body ?? ''], maxPerReceive: 1 });

    const result = await redriveDeadLetters({ ...base(), destinationId: 'marketing' });

    expect(result).toMatchObject({ status: 'INCOMPLETE', moved: 1, failed: 2 });
    expect(result.failureReason).toMatch(/^2 of the planned dead letters are still in the DLQ/);
    expect(dlq.visible().map((m) => m.groupId)).toEqual(['marketing:p-1', 'marketing:p-1']);
  });

  it('does not report COMPLETED while another reader holds dead letters (a redrive racing another)', async () => {
    for (const id of ['p-1', 'p-2', 'p-3']) deadLetter(dlq, id);
    dlq.holdByAnotherReader(2);

    const result = await redriveDeadLetters(base());

    expect(result).toMatchObject({ status: 'INCOMPLETE', toMove: 1, moved: 1, inFlight: 2 });
    expect(result.failureReason).toMatch(/2 message\(s\) were in flight/);
  });
});
