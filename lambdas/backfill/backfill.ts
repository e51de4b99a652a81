import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { CheckpointStore } from '../../adapters/backfill-checkpoints.js';
import { StateTable } from '../../adapters/state-table.js';
import { scanLayout } from '../../core/capacity/backfill.js';
import { ENVELOPE_WORKLOAD, PLANNING_TIMINGS } from '../../core/capacity/parameters.js';
import type { CompiledConfig } from '../../core/compiled-config.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { BACKFILL_WINDOW_GRACE_MS } from '../../core/staleness.js';
import { type BackfillCheckpoint, checkpointKey, newCheckpoint } from '../../core/state-records.js';
import { BackfillError } from '../commons/errors.js';
import { type BackfillProgress, type BackfillResult, BackfillRun, type RunTarget } from './backfill-run.js';
import { totals } from './checkpoints.js';
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
 * Reads are paced to a share of the table's read capacity (`backfillReadPace`, core/capacity/
 * backfill.ts), measured with ReturnConsumedCapacity; the number of scan segments (and, for the
 * Lambda function, of invocations sharing them) is sized to that pace (`scanLayout`). One scan serves
 * several destinations and segments at once (a deploy's newly mapped pairs, `deploy-backfill.ts`).
 *
 * Shared by the `backfill` CLI command and the backfill Lambda function.
 */

export type { BackfillProgress, BackfillResult } from './backfill-run.js';

/** What every backfill run takes, besides what it backfills. */
export interface ScanRunOptions extends ReadPaceOptions {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly profileTableName: string;
  readonly stateTableName: string;
  readonly exportQueueUrl: string;
  readonly config: CompiledConfig;
  /** @default sized to the table's read pace (core/capacity/backfill.ts, `scanLayout`) */
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

/** Options of {@link runBackfill}. */
export interface BackfillOptions extends ScanRunOptions {
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
}

/** The destination's compiled config and its sorted, validated segments. @throws BackfillError */
export function backfillTarget(
  config: CompiledConfig,
  destinationId: string,
  segments: readonly string[],
): RunTarget {
  const destination = config.destinations.find((d) => d.id === destinationId);
  if (destination === undefined) throw new BackfillError(`no destination "${destinationId}" in the config`);
  const segmentIds = [...new Set(segments)].sort();
  const unmapped = segmentIds.filter((s) => !destination.mappedSegmentIds.has(s));
  if (segmentIds.length === 0 || unmapped.length > 0) {
    throw new BackfillError(
      segmentIds.length === 0
        ? 'no segments to backfill'
        : `segment ${unmapped.join(', ')} is not mapped to destination "${destination.id}"; map it in the config first (mapped: ${[...destination.mappedSegmentIds].join(', ')})`,
    );
  }
  return { destination, segmentIds };
}

/**
 * Runs (or continues) a backfill of one destination until it completes or `signal` aborts.
 * @throws BackfillError (unmapped segment, nothing to resume), or the SDK's error — the
 *   checkpoints written so far stay, so the run can be resumed.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const target = backfillTarget(options.config, options.destinationId, options.segmentIds);
  const { result } = await runScan(options, {
    pk: checkpointKey(target.destination.id, target.segmentIds),
    targets: [target],
    mode: options.mode,
    runId: options.runId,
  });
  return result;
}

/** Which run a scan is, and which share of it this invocation reads. */
export interface ScanIdentity {
  /** The checkpoint's key. */
  readonly pk: string;
  readonly targets: readonly RunTarget[];
  readonly mode: BackfillOptions['mode'];
  readonly runId: string;
  /** Split a new run over invocations as the table's size asks (the Lambda function). @default false */
  readonly sizeWorkers?: boolean;
  /** This invocation's worker index (segment i belongs to worker i mod workers). @default all segments */
  readonly worker?: number;
}

/**
 * Starts or continues the scan `scan` names: one parallel scan for every target.
 * @param onNewCheckpoint called when a new run's checkpoint exists, before its scan starts (the
 *   Lambda function starts the other workers there).
 * @returns the result and the checkpoint (its `workers` tells how many invocations share it).
 * @throws BackfillError (nothing to resume) or the SDK's error.
 */
export async function runScan(
  options: ScanRunOptions,
  scan: ScanIdentity,
  onNewCheckpoint?: (checkpoint: BackfillCheckpoint) => Promise<void>,
): Promise<{ result: BackfillResult; checkpoint: BackfillCheckpoint | undefined }> {
  const now = options.now ?? Date.now;
  const checkpoints = new CheckpointStore(options.dynamo, options.stateTableName, now);
  const existing = await checkpoints.readKey(scan.pk);
  const destinationIds = scan.targets.map((t) => t.destination.id);
  const segmentIds = [...new Set(scan.targets.flatMap((t) => t.segmentIds))].sort();

  const facts = await describeProfileTable(options.dynamo, options.profileTableName, options);
  let checkpoint: BackfillCheckpoint;
  let resumed = false;
  if (scan.mode === 'resume' || (scan.mode === 'auto' && existing?.runId === scan.runId)) {
    if (existing === undefined) {
      throw new BackfillError(
        `no backfill of destination "${destinationIds.join(', ')}" for segments ${segmentIds.join(', ')} to resume; start one without --resume`,
      );
    }
    if (existing.status === 'completed') {
      const result: BackfillResult = {
        runId: existing.runId,
        status: 'already-completed',
        ...totals(existing.segments),
        queuedThisInvocation: 0,
        invalid: 0,
        tooLarge: 0,
        refused: 0,
        readUnitsPerSecond: 0,
      };
      return { result, checkpoint: existing };
    }
    checkpoint = existing;
    resumed = true;
  } else {
    const layout = scanLayout({
      readUnitsPerSecond: facts.readUnitsPerSecond,
      itemBytes: facts.itemBytes ?? ENVELOPE_WORKLOAD.itemBytes,
      timings: PLANNING_TIMINGS,
      memoryMb: PIPELINE_SETTINGS.backfill.memoryMb,
      itemCount: facts.totalItems ?? 0,
    });
    checkpoint = newCheckpoint({
      pk: scan.pk,
      runId: scan.runId,
      destinationId: destinationIds.join(','),
      segmentIds,
      ...(scan.targets.length > 1 && {
        targets: scan.targets.map((t) => ({
          destinationId: t.destination.id,
          segmentIds: [...t.segmentIds],
        })),
      }),
      totalSegments: options.totalSegments ?? layout.totalSegments,
      workers: scan.sizeWorkers === true ? layout.workers : 1,
      at: now(),
    });
    await checkpoints.create(checkpoint);
    await onNewCheckpoint?.(checkpoint);
  }

  // Before the first read: while a destination's window is open the export function records its live
  // deliveries, so an export of this run that a live change overtakes is skipped (core/staleness.ts).
  const windows = new StateTable({ client: options.dynamo, tableName: options.stateTableName, now });
  await Promise.all(
    destinationIds.map((id) => windows.openBackfillWindow(id, now() + BACKFILL_WINDOW_GRACE_MS)),
  );
  const workers = checkpoint.workers ?? 1;
  const pace = facts.readUnitsPerSecond / workers;
  options.onStart?.({
    runId: checkpoint.runId,
    readUnitsPerSecond: pace,
    totalItems: facts.totalItems,
    resumed,
  });
  const worker = scan.worker;
  const run = new BackfillRun({
    dynamo: options.dynamo,
    sqs: options.sqs,
    profileTableName: options.profileTableName,
    exportQueueUrl: options.exportQueueUrl,
    config: options.config,
    targets: scan.targets,
    checkpoint,
    ...(worker !== undefined &&
      workers > 1 && {
        scanSegments: Array.from({ length: checkpoint.totalSegments }, (_, i) => i).filter(
          (i) => i % workers === worker,
        ),
      }),
    checkpoints,
    facts: { ...facts, readUnitsPerSecond: pace },
    pageSize: options.pageSize ?? PIPELINE_SETTINGS.backfill.pageSize,
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
    now,
  });
  return { result: await run.execute(), checkpoint };
}
