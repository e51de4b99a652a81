import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { backfillReadPace, type TableReadFacts } from '../../core/capacity/backfill.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';

/**
 * Reading the profile table for a backfill: its read pace and size, and pages of a parallel scan
 * that return only members of the backfilled segments.
 */

/** How fast a backfill may read. */
export interface ReadPaceOptions {
  /** @default PIPELINE_SETTINGS.backfill.maxReadCapacityShare */
  readonly maxReadCapacityShare?: number;
  /** Overrides the pace derived from the table: read units per second. */
  readonly readUnitsPerSecond?: number;
}

/** The pace and size of the profile table. */
export interface TableFacts {
  readonly readUnitsPerSecond: number;
  /** The table's ItemCount (updated by DynamoDB about every six hours); undefined when unknown. */
  readonly totalItems: number | undefined;
  /** Mean item size (TableSizeBytes ÷ ItemCount); undefined when unknown. */
  readonly itemBytes: number | undefined;
}

/**
 * The read pace — a share of the table's read capacity (`backfillReadPace` in
 * core/capacity/backfill.ts: provisioned capacity, or an on-demand table's ceiling within what it
 * serves at once) — and the table's size. Never throws: without dynamodb:DescribeTable the pace is
 * that of a new on-demand table and the size is unknown.
 */
export async function describeProfileTable(
  dynamo: DynamoDBClient,
  tableName: string,
  pace: ReadPaceOptions,
): Promise<TableFacts> {
  const share = pace.maxReadCapacityShare ?? PIPELINE_SETTINGS.backfill.maxReadCapacityShare;
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const provisioned = Table?.ProvisionedThroughput?.ReadCapacityUnits ?? 0;
    const facts: TableReadFacts = {
      billing:
        Table?.BillingModeSummary?.BillingMode !== 'PAY_PER_REQUEST' && provisioned > 0
          ? 'PROVISIONED'
          : 'PAY_PER_REQUEST',
      provisionedReadUnits: provisioned,
      ...(Table?.WarmThroughput?.ReadUnitsPerSecond !== undefined && {
        warmReadUnitsPerSecond: Table.WarmThroughput.ReadUnitsPerSecond,
      }),
      ...((Table?.OnDemandThroughput?.MaxReadRequestUnits ?? -1) > 0 && {
        maxReadUnitsPerSecond: Table?.OnDemandThroughput?.MaxReadRequestUnits,
      }),
    };
    const items = Table?.ItemCount;
    return {
      readUnitsPerSecond: pace.readUnitsPerSecond ?? backfillReadPace(facts, share),
      totalItems: items,
      itemBytes:
        items !== undefined && items > 0 && Table?.TableSizeBytes !== undefined
          ? Table.TableSizeBytes / items
          : undefined,
    };
  } catch {
    return {
      readUnitsPerSecond: pace.readUnitsPerSecond ?? backfillReadPace({ billing: 'PAY_PER_REQUEST' }, share),
      totalItems: undefined,
      itemBytes: undefined,
    };
  }
}

/** One page of one parallel-scan segment. */
export interface MemberScanRequest {
  readonly tableName: string;
  readonly segment: number;
  readonly totalSegments: number;
  readonly pageSize: number;
  /** Where the segment's previous page ended (JSON of its LastEvaluatedKey). */
  readonly lastKey?: string;
  /** Only members (`realized` / `existing`) of one of these segments come back. */
  readonly segmentIds: readonly string[];
  /** Only these top-level fields come back (`CompiledConfig.fieldsRead`). */
  readonly fields: ReadonlySet<string>;
}

/** A page read. */
export interface MemberPage {
  readonly items: readonly Record<string, AttributeValue>[];
  /** Items read, before the filter. */
  readonly scanned: number;
  /** Read units consumed. */
  readonly consumedUnits: number;
  /** JSON of the LastEvaluatedKey; undefined at the segment's end. */
  readonly lastKey?: string;
}

/**
 * Reads one page of a parallel-scan segment. Only items that are members of a backfilled segment
 * come back, with only the fields the decision reads: this saves transfer and unmarshalling, not
 * read units (the decision still checks membership).
 * @throws the SDK's error.
 */
export async function scanMembers(dynamo: DynamoDBClient, request: MemberScanRequest): Promise<MemberPage> {
  const page = await dynamo.send(
    new ScanCommand({
      TableName: request.tableName,
      Segment: request.segment,
      TotalSegments: request.totalSegments,
      Limit: request.pageSize,
      ReturnConsumedCapacity: 'TOTAL',
      ...(request.lastKey !== undefined && {
        // The key this module stored: a LastEvaluatedKey, in JSON.
        ExclusiveStartKey: JSON.parse(request.lastKey) as Record<string, AttributeValue>,
      }),
      ...(request.segmentIds.length <= MAX_FILTERED_SEGMENTS
        ? memberFilter(request.segmentIds, request.fields)
        : projection(request.fields)),
    }),
  );
  const scanned = page.ScannedCount ?? 0;
  return {
    items: page.Items ?? [],
    scanned,
    // ~1 read unit per 4 KB × 0.5 (eventually consistent); without a report assume one unit per item.
    consumedUnits: page.ConsumedCapacity?.CapacityUnits ?? Math.max(1, scanned / 2),
    ...(page.LastEvaluatedKey !== undefined && { lastKey: JSON.stringify(page.LastEvaluatedKey) }),
  };
}

/**
 * Segments a scan's filter names at most: a DynamoDB expression is at most 4 KB, and each segment's
 * condition takes about 50 characters. Beyond, the scan reads every item and the decision filters.
 */
const MAX_FILTERED_SEGMENTS = 64;

function projection(fields: ReadonlySet<string>): {
  ProjectionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
} {
  const names: Record<string, string> = {};
  const list = [...fields].map((field, i) => {
    names[`#f${i}`] = field;
    return `#f${i}`;
  });
  return { ProjectionExpression: list.join(', '), ExpressionAttributeNames: names };
}

function memberFilter(
  segmentIds: readonly string[],
  fields: ReadonlySet<string>,
): {
  FilterExpression: string;
  ProjectionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} {
  const names: Record<string, string> = { '#sm': 'segmentMembership', '#ups': 'ups', '#st': 'status' };
  const conditions = segmentIds.map((id, i) => {
    names[`#s${i}`] = id;
    return `#sm.#ups.#s${i}.#st IN (:realized, :existing)`;
  });
  const projection = [...fields].map((field, i) => {
    names[`#f${i}`] = field;
    return `#f${i}`;
  });
  return {
    FilterExpression: conditions.join(' OR '),
    ProjectionExpression: projection.join(', '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ':realized': { S: 'realized' }, ':existing': { S: 'existing' } },
  };
}
