import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { sendInOrder } from '../../adapters/queue-sender.js';
import type { CompiledConfig, CompiledDestination } from '../../core/compiled-config.js';
import { decideBackfill } from '../../core/decide.js';
import { backfillSourceEventId, buildExportMessage, type QueuedExport } from '../../core/export-message.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { safeParseStoredProfile } from '../../core/profile.js';

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

/** Read units per second a backfill may use on an on-demand table unless told otherwise. A new
 * on-demand table serves 12,000 read units/s at once; this stays far below, and scans a million
 * 5 KB profiles (~625,000 read units, eventually consistent) in about ten minutes. */
export const DEFAULT_ON_DEMAND_READ_UNITS_PER_SECOND = 1_000;

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

/** The outcome of {@link runBackfill}. */
export interface BackfillResult {
  readonly runId: string;
  /** `completed`: every segment scanned; `stopped`: stopped on request, resumable; `superseded`: another run took over the checkpoint. */
  readonly status: 'completed' | 'stopped' | 'superseded' | 'already-completed';
  readonly scanned: number;
  readonly queued: number;
  /** Exports queued by this invocation (a resumed run's earlier invocations excluded). */
  readonly queuedThisInvocation: number;
  /** Items that are not valid profiles (counted, not exported). */
  readonly invalid: number;
  /** Profiles whose export document is too large for a Kinesis record (counted, not exported). */
  readonly tooLarge: number;
  /** Exports SQS refused as malformed (e.g. over the queue's message size), counted, not exported. */
  readonly refused: number;
  readonly readUnitsPerSecond: number;
}

/** The backfill cannot start or continue. */
export class BackfillError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackfillError';
  }
}

/** Options of {@link runBackfill}. */
export interface BackfillOptions {
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
  /** @default PIPELINE_SETTINGS.backfill.maxReadCapacityShare */
  readonly maxReadCapacityShare?: number;
  /** @default DEFAULT_ON_DEMAND_READ_UNITS_PER_SECOND */
  readonly onDemandReadUnitsPerSecond?: number;
  /** Overrides the pace derived from the table: read units per second. */
  readonly readUnitsPerSecond?: number;
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

/** Reads the checkpoint of a backfill, or undefined. */
export async function readCheckpoint(
  dynamo: DynamoDBClient,
  stateTableName: string,
  destinationId: string,
  segmentIds: readonly string[],
): Promise<BackfillCheckpoint | undefined> {
  const doc = documentClient(dynamo);
  const { Item } = await doc.send(
    new GetCommand({
      TableName: stateTableName,
      Key: { pk: checkpointKey(destinationId, segmentIds) },
      ConsistentRead: true,
    }),
  );
  return Item as BackfillCheckpoint | undefined;
}

function documentClient(dynamo: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

const abortableSleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Paces reads to `unitsPerSecond`, shared by all scan segments: each page's consumed capacity
 * pushes the next permitted read further out. One second of burst is allowed, and a page's cost is
 * known only after it was read, so at the start up to one page per scan segment goes out at once.
 */
export class ReadPacer {
  /** When the reads so far would have finished at the permitted rate ("theoretical arrival time"). */
  private availableAt: number;
  constructor(
    readonly unitsPerSecond: number,
    private readonly now: () => number,
    private readonly burstMs = 1_000,
  ) {
    this.availableAt = now() - burstMs;
  }
  /** Milliseconds until the next read is permitted (0 when it is). */
  waitMs(): number {
    return Math.max(0, this.availableAt - this.now());
  }
  /** Waits until a read is permitted (returns early when `signal` aborts). */
  async beforeRead(signal?: AbortSignal): Promise<void> {
    await abortableSleep(this.waitMs(), signal);
  }
  /** Records the read units a page consumed; idle time banks at most `burstMs` of capacity. */
  consumed(units: number): void {
    this.availableAt =
      Math.max(this.availableAt, this.now() - this.burstMs) + (units * 1_000) / this.unitsPerSecond;
  }
}

interface TableFacts {
  readonly readUnitsPerSecond: number;
  readonly totalItems: number | undefined;
}

async function describeProfileTable(options: BackfillOptions): Promise<TableFacts> {
  const share = options.maxReadCapacityShare ?? PIPELINE_SETTINGS.backfill.maxReadCapacityShare;
  const onDemand = options.onDemandReadUnitsPerSecond ?? DEFAULT_ON_DEMAND_READ_UNITS_PER_SECOND;
  try {
    const { Table } = await options.dynamo.send(
      new DescribeTableCommand({ TableName: options.profileTableName }),
    );
    const provisioned = Table?.ProvisionedThroughput?.ReadCapacityUnits ?? 0;
    const billing = Table?.BillingModeSummary?.BillingMode;
    const fromTable =
      billing !== 'PAY_PER_REQUEST' && provisioned > 0 ? Math.max(1, provisioned * share) : onDemand;
    return {
      readUnitsPerSecond: options.readUnitsPerSecond ?? fromTable,
      totalItems: Table?.ItemCount,
    };
  } catch {
    // Without dynamodb:DescribeTable the pace falls back to the on-demand rate and the total is unknown.
    return { readUnitsPerSecond: options.readUnitsPerSecond ?? onDemand, totalItems: undefined };
  }
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
  const doc = documentClient(options.dynamo);
  const pk = checkpointKey(destination.id, segmentIds);
  const existing = await readCheckpoint(options.dynamo, options.stateTableName, destination.id, segmentIds);

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
    const totalSegments = options.totalSegments ?? PIPELINE_SETTINGS.backfill.totalSegments;
    const at = now();
    checkpoint = {
      pk,
      runId: options.runId,
      destinationId: destination.id,
      segmentIds,
      totalSegments,
      status: 'running',
      startedAt: at,
      updatedAt: at,
      segments: Object.fromEntries(
        Array.from({ length: totalSegments }, (_, i) => [String(i), { done: false, scanned: 0, queued: 0 }]),
      ),
      ttl: Math.floor(at / 1_000) + CHECKPOINT_TTL_SECONDS,
    };
    await doc.send(new PutCommand({ TableName: options.stateTableName, Item: checkpoint }));
  }

  const facts = await describeProfileTable(options);
  options.onStart?.({
    runId: checkpoint.runId,
    readUnitsPerSecond: facts.readUnitsPerSecond,
    totalItems: facts.totalItems,
    resumed,
  });
  const run = new BackfillRun(options, destination, segmentIds, checkpoint, facts, now);
  return run.execute();
}

function totals(segments: Record<string, SegmentCheckpoint>): { scanned: number; queued: number } {
  let scanned = 0;
  let queued = 0;
  for (const s of Object.values(segments)) {
    scanned += s.scanned;
    queued += s.queued;
  }
  return { scanned, queued };
}

class SupersededError extends Error {}

/** One invocation's work on a checkpointed run. */
class BackfillRun {
  private readonly doc: DynamoDBDocumentClient;
  private readonly pacer: ReadPacer;
  private readonly segments: Record<string, SegmentCheckpoint>;
  private readonly segmentSet: ReadonlySet<string>;
  private readonly startedAt: number;
  private scannedThisInvocation = 0;
  private queuedThisInvocation = 0;
  private invalid = 0;
  private tooLarge = 0;
  private refused = 0;
  private superseded = false;

  constructor(
    private readonly options: BackfillOptions,
    private readonly destination: CompiledDestination,
    private readonly segmentIds: readonly string[],
    private readonly checkpoint: BackfillCheckpoint,
    private readonly facts: TableFacts,
    private readonly now: () => number,
  ) {
    this.doc = documentClient(options.dynamo);
    this.pacer = new ReadPacer(facts.readUnitsPerSecond, now);
    this.segments = { ...checkpoint.segments };
    this.segmentSet = new Set(segmentIds);
    this.startedAt = now();
  }

  async execute(): Promise<BackfillResult> {
    const indexes = Array.from({ length: this.checkpoint.totalSegments }, (_, i) => i);
    // Every segment runs to its end or the stop; the first failure is rethrown after the others
    // have checkpointed what they finished.
    const outcomes = await Promise.allSettled(indexes.map((i) => this.scanSegment(i)));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure !== undefined && !(failure.reason instanceof SupersededError)) throw failure.reason;

    const allDone = Object.values(this.segments).every((s) => s.done);
    let status: BackfillResult['status'] = this.superseded ? 'superseded' : allDone ? 'completed' : 'stopped';
    if (status === 'completed') {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.options.stateTableName,
            Key: { pk: this.checkpoint.pk },
            UpdateExpression: 'SET #status = :completed, completedAt = :now, updatedAt = :now',
            ConditionExpression: 'runId = :runId',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':completed': 'completed',
              ':now': this.now(),
              ':runId': this.checkpoint.runId,
            },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        status = 'superseded';
      }
    }
    return {
      runId: this.checkpoint.runId,
      status,
      ...totals(this.segments),
      queuedThisInvocation: this.queuedThisInvocation,
      invalid: this.invalid,
      tooLarge: this.tooLarge,
      refused: this.refused,
      readUnitsPerSecond: this.facts.readUnitsPerSecond,
    };
  }

  private stopRequested(): boolean {
    return this.options.signal?.aborted === true || this.superseded;
  }

  private async scanSegment(index: number): Promise<void> {
    const key = String(index);
    const pageSize = this.options.pageSize ?? PIPELINE_SETTINGS.backfill.pageSize;
    for (;;) {
      const state = this.segments[key] ?? { done: false, scanned: 0, queued: 0 };
      if (state.done || this.stopRequested()) return;
      await this.pacer.beforeRead(this.options.signal);
      if (this.stopRequested()) return;

      const page: ScanCommandOutput = await this.options.dynamo.send(
        new ScanCommand({
          TableName: this.options.profileTableName,
          Segment: index,
          TotalSegments: this.checkpoint.totalSegments,
          Limit: pageSize,
          ReturnConsumedCapacity: 'TOTAL',
          ...(state.lastKey === undefined
            ? {}
            : { ExclusiveStartKey: JSON.parse(state.lastKey) as Record<string, AttributeValue> }),
          ...this.memberFilter(),
        }),
      );
      const scanned = page.ScannedCount ?? 0;
      // ~1 read unit per 4 KB × 0.5 (eventually consistent); without a report assume one unit per item.
      this.pacer.consumed(page.ConsumedCapacity?.CapacityUnits ?? Math.max(1, scanned / 2));

      const scanTime = this.now();
      const decided = this.decidePage(page.Items ?? [], scanTime);
      // The shared FIFO sender: throws when entries keep failing, so the page is not checkpointed
      // and is queued again on resume; entries SQS refuses as malformed are counted and skipped.
      const { refused } = await sendInOrder(
        this.options.sqs,
        this.options.exportQueueUrl,
        decided.map((e) => ({
          id: e.deduplicationId,
          body: e.body,
          groupId: e.groupId,
          deduplicationId: e.deduplicationId,
        })),
      );
      this.refused += refused.size;
      const messages = refused.size === 0 ? decided : decided.filter((e) => !refused.has(e.deduplicationId));

      const next: SegmentCheckpoint = {
        ...(page.LastEvaluatedKey === undefined ? {} : { lastKey: JSON.stringify(page.LastEvaluatedKey) }),
        done: page.LastEvaluatedKey === undefined,
        scanned: state.scanned + scanned,
        queued: state.queued + messages.length,
      };
      await this.saveSegment(key, next);
      this.segments[key] = next;
      this.scannedThisInvocation += scanned;
      this.queuedThisInvocation += messages.length;
      this.report();
    }
  }

  /**
   * Only items that are members of a backfilled segment come back (decideBackfill still decides;
   * this saves transfer and unmarshalling, not read units), with only the fields the decision reads.
   */
  private memberFilter(): {
    FilterExpression: string;
    ProjectionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, AttributeValue>;
  } {
    const names: Record<string, string> = { '#sm': 'segmentMembership', '#ups': 'ups', '#st': 'status' };
    const conditions = this.segmentIds.map((id, i) => {
      names[`#s${i}`] = id;
      return `#sm.#ups.#s${i}.#st IN (:realized, :existing)`;
    });
    const projection = [...this.options.config.fieldsRead].map((field, i) => {
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

  private decidePage(items: readonly Record<string, AttributeValue>[], scanTime: number): QueuedExport[] {
    const messages: QueuedExport[] = [];
    for (const item of items) {
      let plain: unknown;
      try {
        plain = unmarshall(item, { wrapNumbers: false });
      } catch {
        this.invalid += 1;
        continue;
      }
      const parsed = safeParseStoredProfile(plain);
      if (!parsed.ok) {
        this.invalid += 1;
        continue;
      }
      const decision = decideBackfill(parsed.value, this.destination, this.segmentSet, this.options.config);
      if (decision === null) continue;
      if (!decision.export) {
        if (decision.rejection !== undefined) this.tooLarge += 1;
        continue;
      }
      const profileId = parsed.value.profileId;
      messages.push(
        buildExportMessage(decision, {
          sourceEventId: backfillSourceEventId(this.checkpoint.runId, profileId),
          profileId,
          sourceTime: scanTime,
          queuedAt: this.now(),
        }),
      );
    }
    return messages;
  }

  private async saveSegment(key: string, state: SegmentCheckpoint): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.stateTableName,
          Key: { pk: this.checkpoint.pk },
          UpdateExpression: 'SET #segments.#i = :state, updatedAt = :now, #ttl = :ttl',
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeNames: { '#segments': 'segments', '#i': key, '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':state': state,
            ':now': this.now(),
            ':ttl': Math.floor(this.now() / 1_000) + CHECKPOINT_TTL_SECONDS,
            ':runId': this.checkpoint.runId,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // A newer run replaced this checkpoint: it will export these profiles itself.
        this.superseded = true;
        throw new SupersededError();
      }
      throw error;
    }
  }

  private report(): void {
    if (this.options.onProgress === undefined) return;
    const t = totals(this.segments);
    this.options.onProgress({
      runId: this.checkpoint.runId,
      scanned: t.scanned,
      queued: t.queued,
      totalItems: this.facts.totalItems,
      segmentsDone: Object.values(this.segments).filter((s) => s.done).length,
      totalSegments: this.checkpoint.totalSegments,
      scannedThisInvocation: this.scannedThisInvocation,
      startedAt: this.startedAt,
    });
  }
}
