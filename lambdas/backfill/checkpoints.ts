import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CheckpointStore } from '../../adapters/backfill-checkpoints.js';
import type { BackfillCheckpoint, SegmentCheckpoint } from '../../core/state-records.js';

/**
 * The backfill's view of its checkpoints. Their keys, shape and expiry are core/state-records.ts's,
 * their I/O adapters/backfill-checkpoints.ts's (docs/ARCHITECTURE.md, "State table").
 */

// For the CLI and the tests that name a checkpoint by its key.
export { type BackfillCheckpoint, checkpointKey } from '../../core/state-records.js';

/**
 * Reads the checkpoint of a backfill, or undefined (`backfill` in the CLI, to say what a run resumes).
 * @throws StateRecordError when the stored item is not a checkpoint; the SDK's error.
 */
export async function readCheckpoint(
  dynamo: DynamoDBClient,
  stateTableName: string,
  destinationId: string,
  segmentIds: readonly string[],
): Promise<BackfillCheckpoint | undefined> {
  return new CheckpointStore(dynamo, stateTableName, Date.now).read(destinationId, segmentIds);
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
