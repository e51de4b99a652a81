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

/** The checkpoint item `backfill#<destinationId>#<segments-key>`. */
export interface BackfillCheckpoint {
  readonly pk: string;
  readonly runId: string;
  readonly destinationId: string;
  readonly segmentIds: string[];
  readonly totalSegments: number;
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
}): BackfillCheckpoint {
  return {
    pk: checkpointKey(run.destinationId, run.segmentIds),
    runId: run.runId,
    destinationId: run.destinationId,
    segmentIds: run.segmentIds,
    totalSegments: run.totalSegments,
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
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: checkpointKey(destinationId, segmentIds) },
        ConsistentRead: true,
      }),
    );
    // The item is this module's own writing: a checkpoint.
    return Item as BackfillCheckpoint | undefined;
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
