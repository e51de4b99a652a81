import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { StateTable } from '../../adapters/state-table.js';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { BACKFILL_WINDOW_GRACE_MS } from '../../core/staleness.js';
import { BackfillError } from '../commons/errors.js';
import { type BackfillProgress, type BackfillResult, BackfillRun } from './backfill-run.js';
import { type BackfillCheckpoint, CheckpointStore, newCheckpoint, totals } from './checkpoints.js';
import { describeProfileTable, type ReadPaceOptions } from './profile-scan.js';

/**
 * The historical backfill (the source page's "historical data backfill"): exports, once and with
 * reason `backfill`, every profile that is already a member (`realized` / `existing`) of segments
 * newly mapped to a destination.
 *
 * A parallel scan of the profile table: `totalSegments` scan segments run concurrently, each page
 * (`Limit` = pageSize) is decided with `decideBackfill`, its exports are queued on the SAME FIFO
 * export queue as live changes (group = destination:profile, so a live change and a backfill
 * export of one profile stay in order, and the delivery ledger skips whichever is stale), and then
 * the segment's LastEvaluatedKey is checkpointed in the state table. A stopped run resumes from
 * the checkpoints; a page queued but not checkpointed (a crash) is queued again with the same
 * deduplication ids (`exportIdFor('backfill:<runId>:<profileId>', destinationId)`), which SQS drops
 * within its five-minute deduplication window.
 *
 * Reads are paced to a share of the table's read capacity (provisioned tables) or to a fixed rate
 * of read units per second (on-demand tables), measured with ReturnConsumedCapacity.
 *
 * Shared by the `backfill` CLI command and the backfill Lambda function.
 */

export type { BackfillProgress, BackfillResult } from './backfill-run.js';
/** @deprecated import from `./checkpoints.js` and `./read-pacer.js` (kept until test/cli/progress.test.ts moves its import). */

/** Options of {@link runBackfill}. */
export interface BackfillOptions extends ReadPaceOptions {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly profileTableName: string;
  readonly stateTableName: string;
  readonly exportQueueUrl: string;
  readonly config: CompiledConfig;
  readonly destinationId: string;
  /** Segments newly mapped to the destination; each must be mapped to it. */
  readonly segmentIds: readonly string[];
  /**
   * `new`: start run `runId` from the beginning (replacing any checkpoint); `resume`: continue the
   * unfinished checkpointed run (its run id is kept, `runId` is ignored); `auto`: continue when the
   * checkpoint belongs to `runId`, do nothing when that run completed, else start `runId` anew
   * (the Lambda function: a re-invocation continues, a new deploy-time run replaces an old one).
   */
  readonly mode: 'new' | 'resume' | 'auto';
  readonly runId: string;
  /** @default PIPELINE_SETTINGS.backfill.totalSegments */
  readonly totalSegments?: number;
  /** @default PIPELINE_SETTINGS.backfill.pageSize */
  readonly pageSize?: number;
  /** Abort to stop: the pages being processed are queued and checkpointed first. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackfillProgress) => void;
  /** Called once with the pace and total when the scan starts. */
  readonly onStart?: (info: {
    runId: string;
    readUnitsPerSecond: number;
    totalItems: number | undefined;
    resumed: boolean;
  }) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Runs (or continues) a backfill until it completes or `signal` aborts.
 * @throws BackfillError (unmapped segment, nothing to resume), or the SDK's error — the
 *   checkpoints written so far stay, so the run can be resumed.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const now = options.now ?? Date.now;
  const destination = options.config.destinations.find((d) => d.id === options.destinationId);
  if (destination === undefined) {
    throw new BackfillError(`no destination "${options.destinationId}" in the config`);
  }
  const segmentIds = [...new Set(options.segmentIds)].sort();
  const unmapped = segmentIds.filter((s) => !destination.mappedSegmentIds.has(s));
  if (segmentIds.length === 0 || unmapped.length > 0) {
    throw new BackfillError(
      segmentIds.length === 0
        ? 'no segments to backfill'
        : `segment ${unmapped.join(', ')} is not mapped to destination "${destination.id}"; map it in the config first (mapped: ${[...destination.mappedSegmentIds].join(', ')})`,
    );
  }
  const checkpoints = new CheckpointStore(options.dynamo, options.stateTableName, now);
  const existing = await checkpoints.read(destination.id, segmentIds);

  let checkpoint: BackfillCheckpoint;
  let resumed = false;
  if (options.mode === 'resume' || (options.mode === 'auto' && existing?.runId === options.runId)) {
    if (existing === undefined) {
      throw new BackfillError(
        `no backfill of destination "${destination.id}" for segments ${segmentIds.join(', ')} to resume; start one without --resume`,
      );
    }
    if (existing.status === 'completed') {
      return {
        runId: existing.runId,
        status: 'already-completed',
        ...totals(existing.segments),
        queuedThisInvocation: 0,
        invalid: 0,
        tooLarge: 0,
        refused: 0,
        readUnitsPerSecond: 0,
      };
    }
    checkpoint = existing;
    resumed = true;
  } else {
    checkpoint = newCheckpoint({
      runId: options.runId,
      destinationId: destination.id,
      segmentIds,
      totalSegments: options.totalSegments ?? PIPELINE_SETTINGS.backfill.totalSegments,
      at: now(),
    });
    await checkpoints.create(checkpoint);
  }

  // Before the first read: while the window is open the export function records the destination's
  // live deliveries, so an export of this run that a live change overtakes is skipped (core/staleness.ts).
  await new StateTable({ client: options.dynamo, tableName: options.stateTableName, now }).openBackfillWindow(
    destination.id,
    now() + BACKFILL_WINDOW_GRACE_MS,
  );
  const facts = await describeProfileTable(options.dynamo, options.profileTableName, options);
  options.onStart?.({
    runId: checkpoint.runId,
    readUnitsPerSecond: facts.readUnitsPerSecond,
    totalItems: facts.totalItems,
    resumed,
  });
  const run = new BackfillRun({
    dynamo: options.dynamo,
    sqs: options.sqs,
    profileTableName: options.profileTableName,
    exportQueueUrl: options.exportQueueUrl,
    config: options.config,
    destination,
    segmentIds,
    checkpoint,
    checkpoints,
    facts,
    pageSize: options.pageSize ?? PIPELINE_SETTINGS.backfill.pageSize,
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
    now,
  });
  return run.execute();
}
