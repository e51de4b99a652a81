/**
 * `dlq redrive`: SQS's own redrive (StartMessageMoveTask, followed to its end), or the selective
 * move of one destination's exports (`move-selected.ts`).
 */
import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { UsageError } from '../../core/errors.js';
import { RedriveError } from './errors.js';
import { moveSelected } from './move-selected.js';
import { queueDepth, sleep } from './queue.js';
import type { RedriveOptions, RedriveResult } from './redrive-types.js';

export type { RedriveOptions, RedriveResult } from './redrive-types.js';

/**
 * Moves dead-lettered exports back to the export queue and waits until they are moved.
 *
 * Without a destination filter this is SQS's own redrive, `StartMessageMoveTask` (DLQ → export
 * queue), which keeps each message's group, so the export queue's FIFO order per profile holds
 * for what is moved. With `destinationId`, StartMessageMoveTask cannot filter, so the selected
 * messages are moved by {@link moveSelected}.
 *
 * Redrive never makes a consumer go back in time: every export carries the profile version it
 * reflects, and the export function skips an export whose version is older than the version the
 * delivery ledger (its entry of the destination and profile, core/state-records.ts) records as delivered. An export
 * redriven after newer ones were delivered is therefore skipped, not written over them.
 * @throws UsageError when a move task is already running; the SDK's error otherwise.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  if (options.rate !== undefined && (options.rate < 1 || options.rate > 500)) {
    throw new UsageError(`--rate must be between 1 and 500 messages per second, got ${options.rate}`);
  }
  if (options.destinationId !== undefined) return moveSelected(options, options.destinationId);

  const source = await queueDepth(options.sqs, options.dlqUrl);
  if (options.dryRun === true || source.depth === 0) {
    return {
      mechanism: 'move-task',
      dryRun: options.dryRun === true,
      toMove: source.depth,
      moved: 0,
      failed: 0,
      status: source.depth === 0 ? 'EMPTY' : 'DRY_RUN',
    };
  }
  const destination = await queueDepth(options.sqs, options.exportQueueUrl);
  let taskHandle: string | undefined;
  try {
    const started = await options.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: source.arn,
        DestinationArn: destination.arn,
        ...(options.rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.rate }),
      }),
    );
    taskHandle = started.TaskHandle;
  } catch (error) {
    if (error instanceof Error && /already a task running|active task/i.test(error.message)) {
      throw new UsageError(
        `a message move task is already running on the dead-letter queue: wait for it (aws sqs list-message-move-tasks --source-arn ${source.arn}) or cancel it, then redrive again`,
        { cause: error },
      );
    }
    throw error;
  }
  const task = await waitForMoveTask(options, source.arn, taskHandle);
  const toMove = task.ApproximateNumberOfMessagesToMove ?? source.depth;
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const status = task.Status ?? 'UNKNOWN';
  return {
    mechanism: 'move-task',
    dryRun: false,
    toMove,
    moved,
    failed: status === 'COMPLETED' ? 0 : Math.max(0, toMove - moved),
    status,
    ...(task.FailureReason === undefined ? {} : { failureReason: task.FailureReason }),
  };
}

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Polls ListMessageMoveTasks until the task is finished. A running task is found by its handle;
 * SQS drops the handle once the task ends, so a finished one is found by the start time seen
 * while it ran, or — when it ended before the first poll — as the newest task of the queue (a
 * queue runs one task at a time, and this one was just started).
 */
async function waitForMoveTask(
  options: RedriveOptions,
  sourceArn: string,
  taskHandle: string | undefined,
): Promise<ListMessageMoveTasksResultEntry> {
  const interval = options.pollIntervalMs ?? 1_000;
  let startedAt: number | undefined;
  for (;;) {
    const { Results = [] } = await options.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
    );
    const running = taskHandle === undefined ? undefined : Results.find((r) => r.TaskHandle === taskHandle);
    if (running !== undefined) {
      startedAt = running.StartedTimestamp;
      options.onProgress?.({
        moved: running.ApproximateNumberOfMessagesMoved ?? 0,
        toMove: running.ApproximateNumberOfMessagesToMove ?? 0,
      });
    } else {
      const ours =
        startedAt === undefined ? Results[0] : Results.find((r) => r.StartedTimestamp === startedAt);
      if (ours !== undefined && FINISHED.has(ours.Status ?? '')) {
        options.onProgress?.({
          moved: ours.ApproximateNumberOfMessagesMoved ?? 0,
          toMove: ours.ApproximateNumberOfMessagesToMove ?? 0,
        });
        return ours;
      }
      if (ours === undefined)
        throw new RedriveError(`the message move task on ${sourceArn} is no longer listed`);
    }
    await sleep(interval);
  }
}
