/**
 * The first check of a redrive: the dead-letter queue must be the export queue's own dead-letter
 * target, so one pipeline's dead letters never go into another pipeline's export queue.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { UsageError } from '../../core/errors.js';
import { queueRedriveTarget } from './queue.js';

/** The two queues of a redrive, as their ARNs. */
export interface QueuePairing {
  readonly dlqArn: string;
  readonly exportQueueArn: string;
}

/**
 * What is wrong with moving from `dlqArn` into the export queue whose redrive policy targets
 * `deadLetterTargetArn` (pure); undefined when the DLQ is that target.
 */
export function pairingProblem(
  pairing: QueuePairing & { readonly deadLetterTargetArn: string | undefined },
): string | undefined {
  const { dlqArn, exportQueueArn, deadLetterTargetArn } = pairing;
  if (dlqArn.length === 0 || exportQueueArn.length === 0)
    return 'the queues did not report their ARNs (QueueArn): check the URLs and sqs:GetQueueAttributes';
  if (deadLetterTargetArn === undefined)
    return `the export queue ${exportQueueArn} has no redrive policy naming a dead-letter queue: it is not a kinesis-destination export queue`;
  if (deadLetterTargetArn !== dlqArn)
    return `the dead-letter queue ${dlqArn} is not the export queue's: export queue ${exportQueueArn} dead-letters into ${deadLetterTargetArn}`;
  return undefined;
}

/**
 * Checks that the DLQ is the export queue's dead-letter target (GetQueueAttributes: QueueArn and
 * RedrivePolicy of both).
 * @throws UsageError naming both ARNs and the fix when it is not; the SDK's error.
 */
export async function checkQueuePairing(
  sqs: SQSClient,
  dlqUrl: string,
  exportQueueUrl: string,
): Promise<QueuePairing> {
  const [dlq, exportQueue] = await Promise.all([
    queueRedriveTarget(sqs, dlqUrl),
    queueRedriveTarget(sqs, exportQueueUrl),
  ]);
  const pairing = { dlqArn: dlq.arn, exportQueueArn: exportQueue.arn };
  const problem = pairingProblem({ ...pairing, deadLetterTargetArn: exportQueue.deadLetterTargetArn });
  if (problem !== undefined) {
    throw new UsageError(
      `refusing to redrive: ${problem}. Nothing was moved. The two queues must be one pipeline's: pass --stack with that pipeline's stack (it gives every resource), or set DLQ_URL and EXPORT_QUEUE_URL to one pipeline's queues`,
    );
  }
  return pairing;
}
