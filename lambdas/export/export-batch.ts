import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { DestinationClients } from '../../adapters/aws-clients.js';
import { putRecordsInChunks } from '../../adapters/put-records.js';
import type { StateTable } from '../../adapters/state-table.js';
import type { Destination } from '../../core/config.js';
import { exportDocumentJson } from '../../core/export-message.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { errorFields, logSafely, METRIC } from '../commons/observability.js';
import {
  type ExportItem,
  isStale,
  ledgerKeyOf,
  type PuttableItem,
  parseItem,
  type Settled,
} from './export-items.js';
import { type ReportDependencies, reportBatch, settle } from './export-report.js';

/** What the export function needs; the handler builds it once per cold start, tests inject it. */
export interface ExportDependencies extends ReportDependencies {
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly clients: Pick<DestinationClients, 'forDestination'>;
  readonly state: Pick<StateTable, 'deliveredVersions' | 'recordDelivered' | 'recordFailure'>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * The time an invocation may spend putting: what is left of it minus the reserve kept back for
 * recording the outcome (ledger, failure log) and answering — the configured reserve, or a quarter
 * of the invocation if less. Running into the timeout would lose the partial batch response, and
 * SQS would hand out again messages that were already put.
 */
export function putBudget(remainingMs: () => number): () => number {
  const reserve = Math.min(PIPELINE_SETTINGS.putRecords.reserveMs, remainingMs() * 0.25);
  return () => remainingMs() - reserve;
}

/**
 * Exports one batch of the FIFO export queue to Kinesis, in order per profile.
 *
 * - Messages of one group (destination + profile) are put one per `PutRecords` round, in order:
 *   PutRecords does not keep order between entries of one call when one fails. A group whose message
 *   fails stops there: that message and every later one of the group are reported as failures and
 *   not put, so SQS hands them out again in order (and dead-letters them after the last attempt).
 * - A message whose profile version is older than the version already delivered (a redriven or
 *   backfilled export overtaken by a newer one) is skipped: putting it would move consumers back in time.
 * - Failed entries are resent alone with backoff while the time budget lasts (`putRecordsInChunks`).
 * - A missing or inactive stream is an ordinary failure (retried by SQS, then dead-lettered).
 */
export async function exportBatch(
  records: readonly SQSRecord[],
  remainingMs: () => number,
  deps: ExportDependencies,
): Promise<SQSBatchResponse> {
  const items = records.map((r) => parseItem(r, deps.destinations));
  let delivered: Map<string, number>;
  try {
    delivered = await deps.state.deliveredVersions(
      items.flatMap((i) => (i.message === undefined ? [] : [i.message])),
    );
  } catch (error) {
    // Without the ledger no stale export can be told apart: put nothing, let SQS retry the batch.
    logSafely(deps.logger, 'error', 'delivery ledger unreadable; retrying the whole batch', {
      count: items.length,
      ...errorFields(error),
    });
    const unavailable = { code: 'StateTableUnavailable', message: 'the delivery ledger could not be read' };
    const settled = items.map(
      (item): Settled => ({
        status: 'failed',
        item,
        failure: item.kind === 'unputtable' ? item.failure : unavailable,
      }),
    );
    return reportBatch(settled, { throttled: 0, delivered: new Map() }, deps);
  }
  const { outcomes, throttled } = await putInOrder(items, delivered, remainingMs, deps);
  return reportBatch(settle(items, outcomes), { throttled, delivered }, deps);
}

/** The messages of one group not yet put, in order; `stopped` once one of them failed. */
interface GroupQueue {
  readonly pending: ExportItem[];
  stopped: boolean;
}

/**
 * Puts the puttable messages round by round, at most one per group a round. Returns what became of
 * each message it settled (the ones it did not are held back behind a failure) and the count of
 * throttled entries. Moves `delivered` up as records are put.
 */
async function putInOrder(
  items: readonly ExportItem[],
  delivered: Map<string, number>,
  remainingMs: () => number,
  deps: ExportDependencies,
): Promise<{ outcomes: Map<ExportItem, Settled>; throttled: number }> {
  const queues = new Map<string, GroupQueue>();
  for (const item of items) {
    const queue = queues.get(item.group);
    if (queue === undefined) queues.set(item.group, { pending: [item], stopped: false });
    else queue.pending.push(item);
  }
  const outcomes = new Map<ExportItem, Settled>();
  let throttled = 0;
  for (;;) {
    const round = nextRound(queues.values(), delivered, outcomes);
    if (round.length === 0) break;
    throttled += await putRound(round, delivered, remainingMs, deps, outcomes);
  }
  return { outcomes, throttled };
}

/** The next message of every group still going, skipping (and settling) superseded ones. */
function nextRound(
  queues: Iterable<GroupQueue>,
  delivered: ReadonlyMap<string, number>,
  outcomes: Map<ExportItem, Settled>,
): { item: PuttableItem; queue: GroupQueue }[] {
  const round: { item: PuttableItem; queue: GroupQueue }[] = [];
  for (const queue of queues) {
    while (!queue.stopped) {
      const item = queue.pending.shift();
      if (item === undefined) break;
      if (item.kind === 'unputtable') {
        // A message that cannot be put fails, and holds the rest of its group back.
        outcomes.set(item, { status: 'failed', item, failure: item.failure });
        queue.stopped = true;
        break;
      }
      if (isStale(item.message, delivered.get(ledgerKeyOf(item.message)))) {
        outcomes.set(item, { status: 'superseded', item });
        continue;
      }
      round.push({ item, queue });
      break;
    }
  }
  return round;
}

/**
 * Puts one round, one PutRecords series per destination, concurrently. Settles each message; a
 * failure stops its group. Returns the count of throttled entries.
 */
async function putRound(
  round: readonly { item: PuttableItem; queue: GroupQueue }[],
  delivered: Map<string, number>,
  remainingMs: () => number,
  deps: ExportDependencies,
  outcomes: Map<ExportItem, Settled>,
): Promise<number> {
  const now = deps.now ?? Date.now;
  const byDestination = new Map<Destination, { item: PuttableItem; queue: GroupQueue }[]>();
  for (const entry of round) {
    byDestination.set(entry.item.destination, [...(byDestination.get(entry.item.destination) ?? []), entry]);
  }
  const throttled = await Promise.all(
    [...byDestination].map(async ([destination, batch]) => {
      const { client, target } = deps.clients.forDestination(destination);
      const outcome = await putRecordsInChunks(
        batch.map(({ item }) => ({
          key: item.record.messageId,
          data: Buffer.from(exportDocumentJson(item.message), 'utf8'),
          partitionKey: item.message.profileId,
        })),
        {
          client,
          target,
          remainingMs,
          ...(deps.sleep && { sleep: deps.sleep }),
          ...(deps.random && { random: deps.random }),
        },
      );
      for (const { item, queue } of batch) {
        const failure = outcome.failed.get(item.record.messageId);
        if (failure !== undefined) {
          outcomes.set(item, { status: 'failed', item, failure });
          queue.stopped = true;
          continue;
        }
        outcomes.set(item, { status: 'delivered', item });
        const key = ledgerKeyOf(item.message);
        delivered.set(key, Math.max(delivered.get(key) ?? 0, item.message.profileVersion));
        deps.metrics.milliseconds(METRIC.exportLatency, now() - item.message.sourceTime);
      }
      return outcome.throttledEntries;
    }),
  );
  return throttled.reduce((sum, n) => sum + n, 0);
}
