/**
 * `dlq redrive`: one read of the DLQ to plan the move (which dead letters, which are left behind as
 * not retryable), the checks and the confirmation the caller passes in, then SQS's own redrive
 * (StartMessageMoveTask, followed to its end) or the selective move (`move-selected.ts`), and a final
 * read that says whether every planned dead letter really left the DLQ.
 */
import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { UsageError } from '../../core/errors.js';
import { RedriveError } from './errors.js';
import { LEDGER_SAMPLE, type SampledExport } from './ledger-rule.js';
import { moveSelected } from './move-selected.js';
import { checkQueuePairing } from './pairing.js';
import { type DeadLetter, isNonRetryable, matches, scanDeadLetters } from './peek.js';
import { queueCounts, sleep } from './queue.js';
import type { RedriveOptions, RedrivePlan, RedriveResult } from './redrive-types.js';

export type { RedriveOptions, RedrivePlan, RedriveResult } from './redrive-types.js';

/** The most messages per second StartMessageMoveTask takes. */
export const MAX_REDRIVE_RATE = 500;

/** Whether a dead letter moves: its destination's (if one is named), and retryable unless told otherwise. */
function selector(options: RedriveOptions): (letter: DeadLetter) => boolean {
  return (letter) =>
    matches(letter, options.destinationId) &&
    (options.includeNonRetryable === true || !isNonRetryable(letter));
}

/** Reads the whole DLQ once and plans the move. */
async function planRedrive(
  options: RedriveOptions,
  pairing: { dlqArn: string; exportQueueArn: string },
  selectedIds: Set<string>,
): Promise<RedrivePlan> {
  const { inFlight } = await queueCounts(options.sqs, options.dlqUrl);
  const select = selector(options);
  const byDestination = new Map<string, number>();
  const skipped = new Map<string, number>();
  const sample: SampledExport[] = [];
  const read = await scanDeadLetters({ sqs: options.sqs, queueUrl: options.dlqUrl }, (letter) => {
    if (!matches(letter, options.destinationId)) return true;
    if (!select(letter)) {
      const code = letter.reason?.errorCode ?? 'InvalidMessage';
      skipped.set(code, (skipped.get(code) ?? 0) + 1);
      return true;
    }
    selectedIds.add(letter.messageId);
    const destination = letter.message?.destinationId ?? letter.groupId?.split(':')[0] ?? '?';
    byDestination.set(destination, (byDestination.get(destination) ?? 0) + 1);
    if (letter.message !== undefined && sample.length < LEDGER_SAMPLE)
      sample.push({ exportId: letter.message.exportId, queuedAt: letter.message.queuedAt });
    return true;
  });
  const skippedCount = [...skipped.values()].reduce((a, b) => a + b, 0);
  return {
    ...pairing,
    read,
    inFlight,
    selectedByDestination: byDestination,
    selected: selectedIds.size,
    skippedNonRetryable: skipped,
    sample,
    // StartMessageMoveTask moves the whole queue: only when nothing is to stay behind.
    mechanism: options.destinationId === undefined && skippedCount === 0 ? 'move-task' : 'selective',
  };
}

/**
 * The final check: which planned dead letters are still in the DLQ, and how many messages are in
 * flight once the holds of this run are gone (waiting up to `settleMs` for them to come back).
 */
async function remaining(
  options: RedriveOptions,
  selectedIds: ReadonlySet<string>,
): Promise<{ left: number; inFlight: number }> {
  let left = 0;
  await scanDeadLetters({ sqs: options.sqs, queueUrl: options.dlqUrl }, (letter) => {
    if (selectedIds.has(letter.messageId)) left += 1;
    return true;
  });
  const deadline = Date.now() + (options.settleMs ?? 5_000);
  let { inFlight } = await queueCounts(options.sqs, options.dlqUrl);
  while (inFlight > 0 && Date.now() < deadline) {
    await sleep(200);
    ({ inFlight } = await queueCounts(options.sqs, options.dlqUrl));
  }
  return { left, inFlight };
}

/** Why a redrive that ran is not complete, or undefined when it is. */
function incompleteReason(left: number, inFlightAtStart: number, inFlightAtEnd: number): string | undefined {
  const reasons: string[] = [];
  if (left > 0)
    reasons.push(
      `${left} of the planned dead letters are still in the DLQ (a send was refused, a later export of a profile waited behind an earlier one, or another reader held them while they were moved)`,
    );
  const inFlight = Math.max(inFlightAtStart, inFlightAtEnd);
  if (inFlight > 0)
    reasons.push(
      `${inFlight} message(s) were in flight — received by another reader or a redrive running at the same time — and were not moved`,
    );
  return reasons.length === 0 ? undefined : reasons.join('; ');
}

/**
 * Moves dead-lettered exports back to the export queue and checks that they left the DLQ.
 *
 * First the DLQ must be the export queue's dead-letter target (`pairing.ts`); then the whole DLQ is
 * read once (holding, then releasing, every message) to plan: the destination's dead letters (all,
 * without `destinationId`), less those retrying cannot help (`Retryable=false`, bodies that are not
 * export messages), which stay unless `includeNonRetryable`. `checkPlan` and `confirm` (the CLI's
 * ledger and stream checks and its question) run before anything moves. Without a destination and
 * with nothing to leave behind, SQS's own redrive (`StartMessageMoveTask`, DLQ → export queue; each
 * message keeps its group, so the FIFO order per profile holds); otherwise the selective move. At
 * the end the DLQ is read again: COMPLETED only when none of the planned dead letters is there and
 * nothing is in flight.
 *
 * Redrive never makes a consumer go back in time: the export function skips an export the delivery
 * ledger (core/staleness.ts) judges superseded.
 * @throws UsageError for a rate out of range, queues of two pipelines, a move task already running,
 *   or what `checkPlan` / `confirm` throw; RedriveError when the move task is lost; the SDK's error.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  if (options.rate !== undefined && (options.rate < 1 || options.rate > MAX_REDRIVE_RATE)) {
    throw new UsageError(
      `--rate must be between 1 and ${MAX_REDRIVE_RATE} messages per second, got ${options.rate}`,
    );
  }
  const pairing = await checkQueuePairing(options.sqs, options.dlqUrl, options.exportQueueUrl);
  const selectedIds = new Set<string>();
  const plan = await planRedrive(options, pairing, selectedIds);
  const skipped = [...plan.skippedNonRetryable.values()].reduce((a, b) => a + b, 0);
  const base = { mechanism: plan.mechanism, toMove: plan.selected, skipped, inFlight: plan.inFlight };
  if (plan.selected === 0) {
    return { ...base, dryRun: options.dryRun === true, moved: 0, failed: 0, status: 'EMPTY' };
  }
  await options.checkPlan?.(plan);
  if (options.dryRun === true) return { ...base, dryRun: true, moved: 0, failed: 0, status: 'DRY_RUN' };
  await options.confirm?.(plan);

  let moved: number;
  let taskEnd: ListMessageMoveTasksResultEntry | undefined;
  if (plan.mechanism === 'move-task') {
    taskEnd = await runMoveTask(options, pairing);
    moved = taskEnd.ApproximateNumberOfMessagesMoved ?? 0;
  } else {
    const result = await moveSelected({
      sqs: options.sqs,
      dlqUrl: options.dlqUrl,
      exportQueueUrl: options.exportQueueUrl,
      // Only what the plan counted: a dead letter arriving meanwhile waits for the next redrive.
      select: (letter) => selectedIds.has(letter.messageId),
      ...(options.rate === undefined ? {} : { rate: options.rate }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    moved = result.moved;
  }

  const end = await remaining(options, selectedIds);
  const taskStatus = taskEnd?.Status;
  const reason = incompleteReason(end.left, plan.inFlight, end.inFlight);
  const status =
    taskStatus === 'FAILED' || taskStatus === 'CANCELLED'
      ? taskStatus
      : reason === undefined
        ? 'COMPLETED'
        : 'INCOMPLETE';
  const failureReason = [taskEnd?.FailureReason, reason].filter((r) => r !== undefined).join('; ');
  return {
    ...base,
    inFlight: Math.max(plan.inFlight, end.inFlight),
    dryRun: false,
    moved,
    failed: end.left,
    status,
    ...(failureReason.length === 0 ? {} : { failureReason }),
  };
}

/** Starts StartMessageMoveTask (DLQ → export queue) and follows it to its end. */
async function runMoveTask(
  options: RedriveOptions,
  pairing: { dlqArn: string; exportQueueArn: string },
): Promise<ListMessageMoveTasksResultEntry> {
  let taskHandle: string | undefined;
  try {
    const started = await options.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: pairing.dlqArn,
        DestinationArn: pairing.exportQueueArn,
        ...(options.rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.rate }),
      }),
    );
    taskHandle = started.TaskHandle;
  } catch (error) {
    if (error instanceof Error && /already a task running|active task/i.test(error.message)) {
      throw new UsageError(
        `a message move task is already running on the dead-letter queue: wait for it (aws sqs list-message-move-tasks --source-arn ${pairing.dlqArn}) or cancel it, then redrive again`,
        { cause: error },
      );
    }
    throw error;
  }
  return waitForMoveTask(options, pairing.dlqArn, taskHandle);
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
