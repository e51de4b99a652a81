import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { errorFields, type LogSink, logSafely } from '../commons/observability.js';

/**
 * When a deploy-time check must do nothing:
 *
 * - on Delete: there is nothing to undo, and failing would block the stack's deletion;
 * - during a rollback. CloudFormation rolls an update back by sending an ordinary `Update` with the
 *   old and new properties swapped and no flag saying so (aws-cdk-lib's custom-resources README; the
 *   CloudFormation guide does not describe the rollback request). Checking then would test the
 *   old configuration — e.g. a destination whose stream was just removed — and a failure would leave
 *   the stack in UPDATE_ROLLBACK_FAILED. The only signal is the stack's own status, read with
 *   DescribeStacks on the event's StackId: `UPDATE_ROLLBACK_IN_PROGRESS` (or another
 *   `…ROLLBACK_IN_PROGRESS`). The rollback may be caused by any resource of the stack, not only this
 *   one.
 */
export type SkipReason = 'delete' | 'rollback';

/** Statuses in which CloudFormation is rolling the stack back. */
const ROLLING_BACK = /ROLLBACK_IN_PROGRESS$/;

/**
 * Why the check should be skipped for this event, or undefined to run it. When DescribeStacks
 * fails the check runs (an update must not pass unchecked because the status could not be read).
 */
export async function skipReason(
  event: CloudFormationCustomResourceEvent,
  cloudFormation: CloudFormationClient,
  logger: LogSink,
): Promise<SkipReason | undefined> {
  if (event.RequestType === 'Delete') return 'delete';
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: event.StackId }));
    const status = Stacks?.[0]?.StackStatus;
    if (status !== undefined && ROLLING_BACK.test(status)) {
      logSafely(logger, 'info', 'stack is rolling back: deploy-time check skipped', { status });
      return 'rollback';
    }
  } catch (error) {
    logSafely(logger, 'warn', 'stack status unreadable: running the deploy-time check', errorFields(error));
  }
  return undefined;
}
