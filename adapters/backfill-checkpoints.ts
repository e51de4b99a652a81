import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type BackfillCheckpoint,
  type BackfillPair,
  checkpointKey,
  checkpointTtl,
  type PairMarker,
  pairMarkerKey,
  parseCheckpoint,
  parsePairMarker,
  type SegmentCheckpoint,
} from '../core/state-records.js';
import { type ItemUpdate, StateTableItems, stateTableDocumentClient } from './state-table-io.js';

/**
 * The backfill's records in the state table (core/state-records.ts; docs/ARCHITECTURE.md, "State
 * table"): a run's checkpoint — the run id and, per parallel-scan segment, the scan's
 * LastEvaluatedKey and counts — from which a stopped run resumes, and which a newer run of the same
 * backfill replaces (the older run then stops, "superseded"); and the completion markers of the
 * (destination, segment) pairs a deploy backfilled.
 */
export class CheckpointStore {
  private readonly items: StateTableItems;
  constructor(
    dynamo: DynamoDBClient,
    tableName: string,
    private readonly now: () => number,
  ) {
    this.items = new StateTableItems(stateTableDocumentClient(dynamo), tableName);
  }

  /**
   * The checkpoint of a backfill, or undefined.
   * @throws StateRecordError when the stored item is not a checkpoint; the SDK's error.
   */
  async read(destinationId: string, segmentIds: readonly string[]): Promise<BackfillCheckpoint | undefined> {
    return this.readKey(checkpointKey(destinationId, segmentIds));
  }

  /**
   * The checkpoint stored under `pk`, or undefined.
   * @throws StateRecordError when the stored item is not a checkpoint; the SDK's error.
   */
  async readKey(pk: string): Promise<BackfillCheckpoint | undefined> {
    return parseCheckpoint(await this.items.get(pk));
  }

  /**
   * The run ids among `pairs` whose backfill completed: a pair's completion marker (written when a
   * deploy's scan completes, kept without expiry) or, from before deploys shared one scan, the pair's
   * own completed checkpoint.
   * @throws StateRecordError for a malformed marker or checkpoint; the SDK's error.
   */
  async completedPairs(pairs: readonly BackfillPair[]): Promise<Set<string>> {
    const done = new Set<string>();
    for (const pair of pairs) {
      const marker = parsePairMarker(await this.items.get(pairMarkerKey(pair)));
      if (marker?.runId === pair.runId) {
        done.add(pair.runId);
        continue;
      }
      const legacy = await this.read(pair.destinationId, [pair.segmentId]);
      if (legacy?.runId === pair.runId && legacy.status === 'completed') done.add(pair.runId);
    }
    return done;
  }

  /** Records that the pairs' backfill completed (no expiry: a later deploy must not repeat them). @throws the SDK's error. */
  async markPairsCompleted(pairs: readonly BackfillPair[]): Promise<void> {
    for (const pair of pairs) {
      const marker: PairMarker = {
        pk: pairMarkerKey(pair),
        destinationId: pair.destinationId,
        segmentId: pair.segmentId,
        runId: pair.runId,
        completedAt: this.now(),
      };
      await this.items.put(marker);
    }
  }

  /** Writes a new run's checkpoint, replacing any other. @throws the SDK's error. */
  async create(checkpoint: BackfillCheckpoint): Promise<void> {
    await this.items.put(checkpoint);
  }

  /**
   * Saves one scan segment's progress, if the checkpoint still belongs to the run.
   * @returns `superseded` when a newer run replaced the checkpoint. @throws the SDK's error.
   */
  async saveSegment(
    checkpoint: Pick<BackfillCheckpoint, 'pk' | 'runId'>,
    segment: string,
    state: SegmentCheckpoint,
  ): Promise<'saved' | 'superseded'> {
    const now = this.now();
    const owned = await this.updateOwn(checkpoint, {
      UpdateExpression: 'SET #segments.#i = :state, updatedAt = :now, #ttl = :ttl',
      ExpressionAttributeNames: { '#segments': 'segments', '#i': segment, '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':state': state, ':now': now, ':ttl': checkpointTtl(now) },
    });
    return owned ? 'saved' : 'superseded';
  }

  /**
   * Marks the run completed, if the checkpoint still belongs to it.
   * @returns `superseded` when a newer run replaced the checkpoint. @throws the SDK's error.
   */
  async complete(checkpoint: Pick<BackfillCheckpoint, 'pk' | 'runId'>): Promise<'completed' | 'superseded'> {
    const owned = await this.updateOwn(checkpoint, {
      UpdateExpression: 'SET #status = :completed, completedAt = :now, updatedAt = :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':completed': 'completed', ':now': this.now() },
    });
    return owned ? 'completed' : 'superseded';
  }

  /** An update conditional on the run id; false when another run owns the checkpoint. */
  private updateOwn(
    checkpoint: Pick<BackfillCheckpoint, 'pk' | 'runId'>,
    update: ItemUpdate & { readonly ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<boolean> {
    return this.items.update(checkpoint.pk, {
      ...update,
      ConditionExpression: 'runId = :runId',
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':runId': checkpoint.runId },
    });
  }
}
