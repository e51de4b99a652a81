import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * A backfill's checkpoint in the state table (docs/ARCHITECTURE.md, "State table"): the run id and,
 * per parallel-scan segment, the scan's LastEvaluatedKey and counts. A stopped run resumes from it;
 * a newer run of the same backfill replaces it, and the older run then stops ("superseded").
 */

/** Checkpoint items live for 30 days after their last update. */
const CHECKPOINT_TTL_SECONDS = 30 * 24 * 60 * 60;

/** The state-table key of a backfill's checkpoint (docs/ARCHITECTURE.md, "State table"). */
export function checkpointKey(destinationId: string, segmentIds: readonly string[]): string {
  return `backfill#${destinationId}#${[...new Set(segmentIds)].sort().join(',')}`;
}

/** One scan segment's progress. */
export interface SegmentCheckpoint {
  /** The scan's LastEvaluatedKey (JSON of the raw key), absent before the first page. */
  readonly lastKey?: string;
  readonly done: boolean;
  readonly scanned: number;
  readonly queued: number;
}

/** The checkpoint of a deploy's backfill: one scan for every (destination, segment) pair it newly maps. */
export const DEPLOY_CHECKPOINT_KEY = 'backfill#deploy';

/** One destination and the segments a scan backfills for it. */
export interface CheckpointTarget {
  readonly destinationId: string;
  readonly segmentIds: string[];
}

/** The checkpoint item `backfill#<destinationId>#<segments-key>`, or a deploy's `backfill#deploy`. */
export interface BackfillCheckpoint {
  readonly pk: string;
  readonly runId: string;
  /** The destination (a deploy's scan: the destinations, comma-separated). */
  readonly destinationId: string;
  /** The segments (a deploy's scan: all of them). */
  readonly segmentIds: string[];
  /** A deploy's scan: each destination with its segments. */
  readonly targets?: CheckpointTarget[];
  readonly totalSegments: number;
  /** Invocations sharing the scan segments (segment i belongs to worker i mod workers). @default 1 */
  readonly workers?: number;
  readonly status: 'running' | 'completed';
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly completedAt?: number;
  /** Scan segment index (as a string) → progress. */
  readonly segments: Record<string, SegmentCheckpoint>;
  readonly ttl: number;
}

/** A new run's checkpoint: every scan segment at its start. */
export function newCheckpoint(run: {
  readonly runId: string;
  readonly destinationId: string;
  /** Sorted, without duplicates. */
  readonly segmentIds: string[];
  readonly totalSegments: number;
  readonly at: number;
  /** @default checkpointKey(destinationId, segmentIds) */
  readonly pk?: string;
  readonly targets?: CheckpointTarget[];
  readonly workers?: number;
}): BackfillCheckpoint {
  return {
    pk: run.pk ?? checkpointKey(run.destinationId, run.segmentIds),
    runId: run.runId,
    destinationId: run.destinationId,
    segmentIds: run.segmentIds,
    ...(run.targets !== undefined && { targets: run.targets }),
    totalSegments: run.totalSegments,
    ...(run.workers !== undefined && run.workers > 1 && { workers: run.workers }),
    status: 'running',
    startedAt: run.at,
    updatedAt: run.at,
    segments: Object.fromEntries(
      Array.from({ length: run.totalSegments }, (_, i) => [
        String(i),
        { done: false, scanned: 0, queued: 0 },
      ]),
    ),
    ttl: ttlAt(run.at),
  };
}

/** One (destination, segment) pair a deploy newly maps, with the run id its mapping gets. */
export interface BackfillPair {
  readonly destinationId: string;
  readonly segmentId: string;
  readonly runId: string;
}

/** The state-table key of a pair's completion marker. */
export function pairMarkerKey(pair: Pick<BackfillPair, 'destinationId' | 'segmentId'>): string {
  return `backfill#done#${pair.destinationId}#${pair.segmentId}`;
}

/** Items read and exports queued over all scan segments. */
export function totals(segments: Record<string, SegmentCheckpoint>): { scanned: number; queued: number } {
  let scanned = 0;
  let queued = 0;
  for (const s of Object.values(segments)) {
    scanned += s.scanned;
    queued += s.queued;
  }
  return { scanned, queued };
}

function ttlAt(now: number): number {
  return Math.floor(now / 1_000) + CHECKPOINT_TTL_SECONDS;
}

function documentClient(dynamo: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

/** Reads the checkpoint of a backfill, or undefined. */
export async function readCheckpoint(
  dynamo: DynamoDBClient,
  stateTableName: string,
  destinationId: string,
  segmentIds: readonly string[],
): Promise<BackfillCheckpoint | undefined> {
  return new CheckpointStore(dynamo, stateTableName, Date.now).read(destinationId, segmentIds);
}

/** The checkpoints of the state table. */
export class CheckpointStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    dynamo: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number,
  ) {
    this.doc = documentClient(dynamo);
  }

  /** The checkpoint of a backfill, or undefined. @throws the SDK's error. */
  async read(destinationId: string, segmentIds: readonly string[]): Promise<BackfillCheckpoint | undefined> {
    return this.readKey(checkpointKey(destinationId, segmentIds));
  }

  /** The checkpoint stored under `pk`, or undefined. @throws the SDK's error. */
  async readKey(pk: string): Promise<BackfillCheckpoint | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    // The item is this module's own writing: a checkpoint.
    return Item as BackfillCheckpoint | undefined;
  }

  /**
   * The run ids among `pairs` whose backfill completed: a pair's marker (`backfill#done#…`, written
   * when a deploy's scan completes, kept without expiry) or, from before deploys shared one scan, the
   * pair's own completed checkpoint.
   * @throws the SDK's error.
   */
  async completedPairs(pairs: readonly BackfillPair[]): Promise<Set<string>> {
    const done = new Set<string>();
    for (const pair of pairs) {
      const marker = await this.readKey(pairMarkerKey(pair));
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
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pairMarkerKey(pair), ...pair, completedAt: this.now() },
        }),
      );
    }
  }

  /** Writes a new run's checkpoint, replacing any other. @throws the SDK's error. */
  async create(checkpoint: BackfillCheckpoint): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: checkpoint }));
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
    const owned = await this.updateOwn(checkpoint, {
      UpdateExpression: 'SET #segments.#i = :state, updatedAt = :now, #ttl = :ttl',
      ExpressionAttributeNames: { '#segments': 'segments', '#i': segment, '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':state': state, ':now': this.now(), ':ttl': ttlAt(this.now()) },
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
  private async updateOwn(
    checkpoint: Pick<BackfillCheckpoint, 'pk' | 'runId'>,
    update: {
      UpdateExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: checkpoint.pk },
          ConditionExpression: 'runId = :runId',
          ...update,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':runId': checkpoint.runId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
