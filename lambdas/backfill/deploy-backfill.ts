import { createHash } from 'node:crypto';
import { CheckpointStore } from '../../adapters/backfill-checkpoints.js';
import type { CompiledConfig } from '../../core/compiled-config.js';
import type { Destination } from '../../core/config.js';
import {
  type BackfillCheckpoint,
  type BackfillPair,
  DEPLOY_CHECKPOINT_KEY,
} from '../../core/state-records.js';
import { backfillTarget, runScan, type ScanRunOptions } from './backfill.js';
import type { BackfillResult, RunTarget } from './backfill-run.js';

/**
 * A deploy's backfill: ONE scan of the profile table for every (destination, segment) pair the
 * deploy maps that has not been backfilled yet — not one scan per pair. The deploy-time trigger sends
 * every mapped pair with its run id (which changes when a segment is mapped again); pairs whose
 * completion is recorded are left out, the rest are scanned together under the state table's
 * deploy checkpoint (core/state-records.ts), and when the scan completes each pair's completion is recorded.
 * A newer deploy's scan replaces an unfinished one (which then stops as superseded) and covers its
 * pairs too, since they are not recorded as completed.
 */

/** The scan a deploy asks for, and which share of it an invocation reads. */
export interface DeployScan {
  /** The deploy's run id (a digest of its pairs). */
  readonly runId: string;
  readonly pairs: readonly BackfillPair[];
  /** Omitted by the deploy's first invocation, which creates the checkpoint and starts the other workers. */
  readonly worker?: number;
}

/** Called once a new scan's checkpoint exists, before scanning: the first invocation starts the other workers. */
export type WorkersStarter = (checkpoint: BackfillCheckpoint) => Promise<void>;

/** What {@link runDeployBackfill} found and did. */
export interface DeployBackfillOutcome {
  readonly result: BackfillResult;
  /** Invocations sharing the scan. */
  readonly workers: number;
  /** The pairs this scan serves. */
  readonly pairs: readonly BackfillPair[];
}

/** The scan's targets: the pairs grouped by destination, each validated against the config. */
export function targetsOf(config: CompiledConfig, pairs: readonly BackfillPair[]): RunTarget[] {
  const byDestination = new Map<string, string[]>();
  for (const p of pairs)
    byDestination.set(p.destinationId, [...(byDestination.get(p.destinationId) ?? []), p.segmentId]);
  return [...byDestination]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, segments]) => backfillTarget(config, id, segments));
}

function nothingToDo(runId: string, status: BackfillResult['status']): BackfillResult {
  return {
    runId,
    status,
    scanned: 0,
    queued: 0,
    queuedThisInvocation: 0,
    invalid: 0,
    tooLarge: 0,
    refused: 0,
    readUnitsPerSecond: 0,
  };
}

/**
 * Runs this invocation's share of a deploy's one scan.
 * @throws BackfillError (a pair's segment not mapped) or the SDK's error (the checkpoints stay).
 */
export async function runDeployBackfill(
  options: ScanRunOptions,
  scan: DeployScan,
  startWorkers: WorkersStarter,
): Promise<DeployBackfillOutcome> {
  const checkpoints = new CheckpointStore(options.dynamo, options.stateTableName, options.now ?? Date.now);
  const existing = await checkpoints.readKey(DEPLOY_CHECKPOINT_KEY);
  const ours = existing?.runId === scan.runId;
  if (scan.worker !== undefined && !ours) {
    // A worker of a scan a newer deploy replaced: that scan covers these pairs.
    return { result: nothingToDo(scan.runId, 'superseded'), workers: 1, pairs: [] };
  }
  let pairs: readonly BackfillPair[];
  if (ours && existing !== undefined) {
    const covered = new Set(
      (
        existing.targets ?? [{ destinationId: existing.destinationId, segmentIds: existing.segmentIds }]
      ).flatMap((t) => t.segmentIds.map((s) => `${t.destinationId}\u0000${s}`)),
    );
    pairs = scan.pairs.filter((p) => covered.has(`${p.destinationId}\u0000${p.segmentId}`));
  } else {
    const done = await checkpoints.completedPairs(scan.pairs);
    pairs = scan.pairs.filter((p) => !done.has(p.runId));
  }
  if (pairs.length === 0) return { result: nothingToDo(scan.runId, 'already-completed'), workers: 1, pairs };

  const { result, checkpoint } = await runScan(
    options,
    {
      pk: DEPLOY_CHECKPOINT_KEY,
      targets: targetsOf(options.config, pairs),
      mode: 'auto',
      runId: scan.runId,
      sizeWorkers: true,
      worker: scan.worker ?? 0,
    },
    startWorkers,
  );
  if (result.status === 'completed' || result.status === 'already-completed')
    await checkpoints.markPairsCompleted(pairs);
  return { result, workers: checkpoint?.workers ?? 1, pairs };
}

/** The run id of a deploy's backfill: a digest of its pairs' run ids. */
export function deployRunId(pairRunIds: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...pairRunIds].sort().join('\u0000'))
    .digest('hex')
    .slice(0, 16);
  return `deploy-${digest}`;
}

/** A stable id for the backfill of one mapping: the same mapping never starts two different runs. */
export function backfillRunId(destinationId: string, segmentId: string, mappingCreatedAt: number): string {
  const digest = createHash('sha256')
    .update(`${destinationId}\u0000${segmentId}\u0000${mappingCreatedAt}`)
    .digest('hex')
    .slice(0, 16);
  return `deploy-${digest}`;
}

/** The event a deploy sends: every mapped (destination, segment) pair with its run id. */
export function deployBackfillEvent(destinations: readonly Pick<Destination, 'id' | 'segments'>[]): {
  readonly runId: string;
  readonly pairs: BackfillPair[];
} {
  const pairs = destinations.flatMap((d) =>
    d.segments.map((segment) => ({
      destinationId: d.id,
      segmentId: segment.id,
      runId: backfillRunId(d.id, segment.id, segment.mappingCreatedAt),
    })),
  );
  return { runId: deployRunId(pairs.map((p) => p.runId)), pairs };
}
