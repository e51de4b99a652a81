import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { CheckpointStore } from '../../adapters/backfill-checkpoints.js';
import { sendInOrder } from '../../adapters/queue-sender.js';
import type { CompiledConfig, CompiledDestination } from '../../core/compiled-config.js';
import type { QueuedExport } from '../../core/export-message.js';
import type { BackfillCheckpoint, SegmentCheckpoint } from '../../core/state-records.js';
import { planBackfillPage } from './backfill-page.js';
import { totals } from './checkpoints.js';
import { scanMembers, type TableFacts } from './profile-scan.js';
import { ReadPacer } from './read-pacer.js';

/** Progress of a run, reported after every page. */
export interface BackfillProgress {
  readonly runId: string;
  /** Items read so far in this run (including earlier invocations of a resumed run). */
  readonly scanned: number;
  readonly queued: number;
  /** The table's ApproximateItemCount (updated by DynamoDB about every six hours); undefined when unknown. */
  readonly totalItems: number | undefined;
  readonly segmentsDone: number;
  readonly totalSegments: number;
  /** Items read by this invocation, and since when, for a rate. */
  readonly scannedThisInvocation: number;
  readonly startedAt: number;
}

/** The outcome of a backfill invocation. */
export interface BackfillResult {
  readonly runId: string;
  /**
   * `completed`: every segment scanned; `stopped`: stopped on request, resumable; `superseded`:
   * another run took over the checkpoint; `share-completed`: this worker's segments are scanned, other
   * workers' are not yet (the last worker to finish completes the run).
   */
  readonly status: 'completed' | 'stopped' | 'superseded' | 'already-completed' | 'share-completed';
  readonly scanned: number;
  readonly queued: number;
  /** Exports queued by this invocation (a resumed run's earlier invocations excluded). */
  readonly queuedThisInvocation: number;
  /** {@link queuedThisInvocation} by destination id (the funnel's `exported` backfill count). */
  readonly queuedByDestination?: Readonly<Record<string, number>>;
  /** Items that are not valid profiles (counted, not exported). */
  readonly invalid: number;
  /** Profiles whose export document is too large for a Kinesis record (counted, not exported). */
  readonly tooLarge: number;
  /** Exports SQS refused as malformed (e.g. over the queue's message size), counted, not exported. */
  readonly refused: number;
  readonly readUnitsPerSecond: number;
}

/** One destination and the segments newly mapped to it. */
export interface RunTarget {
  readonly destination: CompiledDestination;
  /** Sorted, without duplicates. */
  readonly segmentIds: readonly string[];
}

/** What one invocation's work on a run needs. */
export interface BackfillRunContext {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly profileTableName: string;
  readonly exportQueueUrl: string;
  readonly config: CompiledConfig;
  /** Every destination the scan backfills, with its segments: one scan serves them all. */
  readonly targets: readonly RunTarget[];
  readonly checkpoint: BackfillCheckpoint;
  /** The scan segments this invocation reads. @default all of them */
  readonly scanSegments?: readonly number[];
  readonly checkpoints: CheckpointStore;
  readonly facts: TableFacts;
  readonly pageSize: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackfillProgress) => void;
  readonly now: () => number;
}

class SupersededError extends Error {}

/**
 * One invocation's work on a checkpointed run: every scan segment concurrently, page by page —
 * read (paced), decide, queue on the FIFO export queue, checkpoint — until the segment ends or the
 * run is stopped.
 */
export class BackfillRun {
  private readonly pacer: ReadPacer;
  private readonly segments: Record<string, SegmentCheckpoint>;
  private readonly targetSets: { readonly target: RunTarget; readonly segmentIds: ReadonlySet<string> }[];
  /** Every segment id of every target (the scan's filter). */
  private readonly allSegmentIds: readonly string[];
  private readonly startedAt: number;
  private scannedThisInvocation = 0;
  private queuedThisInvocation = 0;
  private readonly queuedByDestination: Record<string, number> = {};
  private invalid = 0;
  private tooLarge = 0;
  private refused = 0;
  private superseded = false;

  constructor(private readonly run: BackfillRunContext) {
    this.pacer = new ReadPacer(run.facts.readUnitsPerSecond, run.now);
    this.segments = { ...run.checkpoint.segments };
    this.targetSets = run.targets.map((target) => ({ target, segmentIds: new Set(target.segmentIds) }));
    this.allSegmentIds = [...new Set(run.targets.flatMap((t) => t.segmentIds))].sort();
    this.startedAt = run.now();
  }

  /**
   * Scans until every segment is done or the run stops.
   * @throws the first SDK error of a segment, after the others checkpointed what they finished.
   */
  async execute(): Promise<BackfillResult> {
    const { checkpoint } = this.run;
    const indexes = this.run.scanSegments ?? Array.from({ length: checkpoint.totalSegments }, (_, i) => i);
    const outcomes = await Promise.allSettled(indexes.map((i) => this.scanSegment(i)));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure !== undefined && !(failure.reason instanceof SupersededError)) throw failure.reason;

    const mineDone = indexes.every((i) => this.segments[String(i)]?.done === true);
    let status: BackfillResult['status'] = this.superseded
      ? 'superseded'
      : mineDone
        ? 'completed'
        : 'stopped';
    if (status === 'completed' && this.run.scanSegments !== undefined) {
      // Other workers scan the other segments: the run is complete once every segment is done.
      const latest = await this.run.checkpoints.readKey(checkpoint.pk);
      if (latest?.runId !== checkpoint.runId) status = 'superseded';
      else {
        Object.assign(this.segments, latest.segments);
        if (!Object.values(latest.segments).every((s) => s.done)) status = 'share-completed';
      }
    }
    if (status === 'completed') status = await this.run.checkpoints.complete(checkpoint);
    return {
      runId: checkpoint.runId,
      status,
      ...totals(this.segments),
      queuedThisInvocation: this.queuedThisInvocation,
      queuedByDestination: { ...this.queuedByDestination },
      invalid: this.invalid,
      tooLarge: this.tooLarge,
      refused: this.refused,
      readUnitsPerSecond: this.run.facts.readUnitsPerSecond,
    };
  }

  private stopRequested(): boolean {
    return this.run.signal?.aborted === true || this.superseded;
  }

  private async scanSegment(index: number): Promise<void> {
    const key = String(index);
    for (;;) {
      const state = this.segments[key] ?? { done: false, scanned: 0, queued: 0 };
      if (state.done || this.stopRequested()) return;
      await this.pacer.beforeRead(this.run.signal);
      if (this.stopRequested()) return;

      const page = await scanMembers(this.run.dynamo, {
        tableName: this.run.profileTableName,
        segment: index,
        totalSegments: this.run.checkpoint.totalSegments,
        pageSize: this.run.pageSize,
        ...(state.lastKey !== undefined && { lastKey: state.lastKey }),
        segmentIds: this.allSegmentIds,
        fields: this.run.config.fieldsRead,
      });
      this.pacer.consumed(page.consumedUnits);

      const scanTime = this.run.now();
      const exports: QueuedExport[] = [];
      for (const { target, segmentIds } of this.targetSets) {
        const plan = planBackfillPage(page.items, {
          runId: this.run.checkpoint.runId,
          destination: target.destination,
          segmentIds,
          config: this.run.config,
          scanTime,
          now: this.run.now,
        });
        exports.push(...plan.exports);
        // An item that is not a profile is not one for any destination: counted once.
        if (target === this.targetSets[0]?.target) this.invalid += plan.invalid;
        this.tooLarge += plan.tooLarge;
      }
      const plan = { exports };
      // The shared FIFO sender: throws when entries keep failing, so the page is not checkpointed
      // and is queued again on resume; entries SQS refuses as malformed are counted and skipped.
      const { refused } = await sendInOrder(
        this.run.sqs,
        this.run.exportQueueUrl,
        plan.exports.map((e) => ({
          id: e.deduplicationId,
          body: e.body,
          groupId: e.groupId,
          deduplicationId: e.deduplicationId,
        })),
      );
      this.refused += refused.size;
      const queued = plan.exports.length - refused.size;

      const next: SegmentCheckpoint = {
        ...(page.lastKey !== undefined && { lastKey: page.lastKey }),
        done: page.lastKey === undefined,
        scanned: state.scanned + page.scanned,
        queued: state.queued + queued,
      };
      if ((await this.run.checkpoints.saveSegment(this.run.checkpoint, key, next)) === 'superseded') {
        // A newer run replaced this checkpoint: it will export these profiles itself.
        this.superseded = true;
        throw new SupersededError();
      }
      this.segments[key] = next;
      this.scannedThisInvocation += page.scanned;
      this.queuedThisInvocation += queued;
      for (const e of plan.exports) {
        if (refused.has(e.deduplicationId)) continue;
        const id = e.message.destinationId;
        this.queuedByDestination[id] = (this.queuedByDestination[id] ?? 0) + 1;
      }
      this.report();
    }
  }

  private report(): void {
    if (this.run.onProgress === undefined) return;
    const t = totals(this.segments);
    this.run.onProgress({
      runId: this.run.checkpoint.runId,
      scanned: t.scanned,
      queued: t.queued,
      totalItems: this.run.facts.totalItems,
      segmentsDone: Object.values(this.segments).filter((s) => s.done).length,
      totalSegments: this.run.checkpoint.totalSegments,
      scannedThisInvocation: this.scannedThisInvocation,
      startedAt: this.startedAt,
    });
  }
}
