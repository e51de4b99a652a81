/**
 * The backfill's size and pace: how fast a deploy's one scan may read the profile table (a share of
 * its read capacity), how many parallel-scan segments and worker invocations keep up with that pace,
 * and how long the scan takes and what its reads cost. The backfill function sizes its scan with
 * these functions; `plan` and the bench report them.
 */
import { PIPELINE_SETTINGS } from '../pipeline-settings.js';
import { aws } from './aws-figures.js';
import type { CodeTimings } from './parameters.js';
import { AWS_PRICES } from './prices.js';
import { TARGET_UTILISATION } from './sizing.js';

/** What DescribeTable tells about the profile table. */
export interface TableReadFacts {
  readonly billing: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** Provisioned tables: read capacity units. */
  readonly provisionedReadUnits?: number;
  /** On-demand tables: the read units a second the table serves at once (WarmThroughput). */
  readonly warmReadUnitsPerSecond?: number;
  /** On-demand tables: the table's own maximum (OnDemandThroughput.MaxReadRequestUnits). */
  readonly maxReadUnitsPerSecond?: number;
  readonly itemCount?: number;
  readonly tableBytes?: number;
}

/**
 * Read units a second a backfill may use: `share` of a provisioned table's read capacity; on an
 * on-demand table, `share` of its read ceiling (its own maximum, else the per-table quota of 40,000)
 * but never more than it serves at once (its warm throughput; 12,000 for a new table).
 */
export function backfillReadPace(
  facts: TableReadFacts,
  share: number = PIPELINE_SETTINGS.backfill.maxReadCapacityShare,
): number {
  if (facts.billing === 'PROVISIONED' && (facts.provisionedReadUnits ?? 0) > 0) {
    return Math.max(1, (facts.provisionedReadUnits ?? 0) * share);
  }
  const ceiling = facts.maxReadUnitsPerSecond ?? aws('tableReadQuota');
  const warm = facts.warmReadUnitsPerSecond ?? aws('newOnDemandReadUnits');
  return Math.max(1, Math.min(ceiling * share, warm));
}

/** Read units one scanned item costs: Scan is charged on the cumulative size read, eventually consistent. */
export function readUnitsPerItem(itemBytes: number): number {
  return itemBytes / aws('readUnitBytes') / 2;
}

/** Assumed time of one Scan call of a page and of one SendMessageBatch call on AWS, ms (not AWS figures). */
export const BACKFILL_CALL_MS = { scanPage: 60, sendBatch: 20 } as const;

/** Items a second one scan segment handles: read a page, decide it, queue it (batches of 10, in order). */
export function segmentItemsPerSecond(
  timings: Pick<CodeTimings, 'backfillItemMicros'>,
  pageSize: number,
): number {
  const pageMs =
    BACKFILL_CALL_MS.scanPage +
    (pageSize * timings.backfillItemMicros) / 1000 +
    Math.ceil(pageSize / 10) * BACKFILL_CALL_MS.sendBatch;
  return (pageSize * 1000) / pageMs;
}

/** Items a second one backfill invocation's CPU handles (memory buys CPU: 1,769 MB = one vCPU). */
export function workerItemsPerSecond(
  timings: Pick<CodeTimings, 'backfillItemMicros'>,
  memoryMb: number,
): number {
  const vcpu = Math.min(1, memoryMb / aws('vcpuMemoryMb'));
  return (vcpu * 1e6 * TARGET_UTILISATION) / timings.backfillItemMicros;
}

/** How a scan is laid out. */
export interface ScanLayout {
  readonly readUnitsPerSecond: number;
  /** Parallel-scan segments (Scan TotalSegments). */
  readonly totalSegments: number;
  /** Concurrent invocations that share the segments. */
  readonly workers: number;
  /** Items a second the pace allows. */
  readonly itemsPerSecond: number;
}

/**
 * Segments and workers that keep up with the read pace: enough segments that their sequential
 * page loops read `readUnitsPerSecond`, enough workers that their CPU decides what is read.
 */
export function scanLayout(input: {
  readonly readUnitsPerSecond: number;
  readonly itemBytes: number;
  readonly timings: Pick<CodeTimings, 'backfillItemMicros'>;
  readonly memoryMb: number;
  readonly pageSize?: number;
  /**
   * The table's item count, when known: a small table gets no more than one segment per 2,000 items
   * and one worker per 200,000 (a count of 0, as a table reports before DynamoDB updates it, gets one).
   */
  readonly itemCount?: number;
}): ScanLayout {
  const pageSize = input.pageSize ?? PIPELINE_SETTINGS.backfill.pageSize;
  const itemsPerSecond = input.readUnitsPerSecond / readUnitsPerItem(input.itemBytes);
  const count = input.itemCount ?? Number.POSITIVE_INFINITY;
  const segments = Math.min(
    Math.ceil(itemsPerSecond / segmentItemsPerSecond(input.timings, pageSize)),
    Math.ceil(count / 2_000),
  );
  const workers = Math.min(
    Math.ceil(itemsPerSecond / workerItemsPerSecond(input.timings, input.memoryMb)),
    Math.max(1, Math.ceil(count / 200_000)),
  );
  const totalSegments = Math.min(
    1_000,
    Math.max(PIPELINE_SETTINGS.backfill.totalSegments, segments, workers),
  );
  return {
    readUnitsPerSecond: input.readUnitsPerSecond,
    totalSegments,
    workers: Math.max(1, Math.min(workers, totalSegments)),
    itemsPerSecond,
  };
}

/** What the backfill model takes. */
export interface BackfillModelInput {
  readonly profiles: number;
  readonly itemBytes: number;
  /** Segments newly mapped by the deploy (all served by one scan). */
  readonly segments: number;
  readonly destinations: number;
  /** Share of profiles that are members of a newly mapped segment (each exports once per destination). */
  readonly memberShare: number;
  readonly table: TableReadFacts;
  readonly readShare?: number;
  readonly timings: CodeTimings;
  readonly memoryMb: number;
  /** Export messages a second the export stage has left for the backfill. */
  readonly exportMessagesPerSecond: number;
}

/** The backfill of a deploy, modelled. */
export interface BackfillModel {
  readonly profiles: number;
  readonly segments: number;
  /** Table scans the deploy starts: one, whatever the number of newly mapped segments. */
  readonly scans: 1;
  readonly layout: ScanLayout;
  /** Until every member is queued (the scan's end), minutes. */
  readonly minutes: number;
  readonly exports: number;
  /** Until the last backfill export is in Kinesis, at the export capacity left, minutes. */
  readonly deliveredMinutes: number;
  readonly readUnits: number;
  /** The scan's reads at on-demand prices (provisioned tables pay for their capacity anyway). */
  readonly readCostUsd: number;
}

/** Models one deploy's backfill. */
export function modelBackfill(input: BackfillModelInput): BackfillModel {
  const pace = backfillReadPace(input.table, input.readShare);
  const layout = scanLayout({
    readUnitsPerSecond: pace,
    itemBytes: input.itemBytes,
    timings: input.timings,
    memoryMb: input.memoryMb,
  });
  const readUnits = input.profiles * readUnitsPerItem(input.itemBytes);
  const scanSeconds = readUnits / pace;
  const exports = Math.round(input.profiles * input.memberShare * input.destinations);
  const drainSeconds = exports / Math.max(1e-9, input.exportMessagesPerSecond);
  return {
    profiles: input.profiles,
    segments: input.segments,
    scans: 1,
    layout,
    minutes: scanSeconds / 60,
    exports,
    deliveredMinutes: Math.max(scanSeconds, drainSeconds) / 60,
    readUnits,
    readCostUsd: readUnits * AWS_PRICES.dynamodbReadRequestUnit.usd,
  };
}
