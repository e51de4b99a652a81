import { createHash } from 'node:crypto';
import type { ExportQueue } from '../../adapters/export-queue.js';
import type { PutFailure } from '../../adapters/put-records.js';
import type { StateTable } from '../../adapters/state-table.js';
import { deadLetterAttributes } from '../../core/dead-letter.js';
import { errorFields, type LogSink, logSafely } from '../commons/observability.js';
import { type ExportItem, failureRecordOf } from './export-items.js';

/** What moving a message to the dead-letter queue needs. */
export interface DeadLetterDependencies {
  readonly queue: Pick<ExportQueue, 'moveToDeadLetterQueue'>;
  readonly state: Pick<StateTable, 'recordFailure'>;
  readonly logger: LogSink;
  readonly now: () => number;
}

/**
 * The dead-letter queue's deduplication id of a move: unique per life of the message in the export
 * queue (a redriven message is a new message with a new id), so moving the same message twice — its
 * delete failed — is dropped by SQS, and moving it again after a redrive is not.
 */
export function deadLetterDeduplicationId(messageId: string): string {
  return createHash('sha256').update(`dead-letter\u0000${messageId}`).digest('hex').slice(0, 40);
}

/**
 * Records the failure of a message on its last attempt (`failure#<exportId>`, keeping the time of the
 * first) and moves the message to the dead-letter queue with the failure as message attributes
 * (core/dead-letter.ts). Returns true once the dead-letter queue holds it: the function answers it
 * as done (the event source mapping deletes it, if the function's own delete failed) and the group
 * goes on. False when it could not be sent: it stays in the export queue, and the queue's redrive
 * policy moves it after this receive. Never throws.
 */
export async function moveToDeadLetterQueue(
  item: ExportItem,
  failure: PutFailure,
  deps: DeadLetterDependencies,
): Promise<boolean> {
  const m = item.message;
  const at = deps.now();
  let firstFailureAt = Number(item.record.attributes.ApproximateFirstReceiveTimestamp) || at;
  if (m !== undefined) {
    try {
      const record = await deps.state.recordFailure(failureRecordOf(m, item, failure, at));
      firstFailureAt = record.firstFailureAt;
    } catch (error) {
      logSafely(deps.logger, 'error', 'failure record not written; the dead letter carries the failure', {
        exportId: m.exportId,
        ...errorFields(error),
      });
    }
  }
  const { outcome, error } = await deps.queue.moveToDeadLetterQueue({
    receiptHandle: item.record.receiptHandle,
    body: item.record.body,
    groupId: item.record.attributes.MessageGroupId ?? item.group,
    deduplicationId: deadLetterDeduplicationId(item.record.messageId),
    attributes: deadLetterAttributes({
      errorCode: failure.code,
      errorMessage: failure.message,
      attempts: item.receiveCount,
      firstFailureAt,
      lastFailureAt: at,
      destinationId: m?.destinationId,
      exportId: m?.exportId,
    }),
  });
  const ids = {
    messageId: item.record.messageId,
    code: failure.code,
    receiveCount: item.receiveCount,
    ...(m && { exportId: m.exportId, destinationId: m.destinationId, profileId: m.profileId }),
  };
  if (outcome === 'not-sent') {
    logSafely(
      deps.logger,
      'error',
      'export failed on its last attempt and could not be moved; the queue moves it itself',
      { ...ids, ...(error === undefined ? {} : errorFields(error)) },
    );
    return false;
  }
  logSafely(deps.logger, 'error', 'export failed on its last attempt: moved to the dead-letter queue', ids);
  return true;
}
