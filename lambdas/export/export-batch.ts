import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { DestinationClients } from '../../adapters/aws-clients.js';
import { type PutFailure, putRecordsInChunks } from '../../adapters/put-records.js';
import { deliveredKey, type StateTable } from '../../adapters/state-table.js';
import type { Destination } from '../../core/config.js';
import { type ExportMessage, exportMessageSchema } from '../../core/export-message.js';
import { errorFields, type LogSink, logSafely, METRIC, type MetricSink } from '../commons/observability.js';

/** What the export function needs; the handler builds it once per cold start, tests inject it. */
export interface ExportDependencies {
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly clients: Pick<DestinationClients, 'forDestination'>;
  readonly state: Pick<StateTable, 'deliveredVersions' | 'recordDelivered' | 'recordFailure'>;
  /** The export queue's maxReceiveCount: a failure on this attempt dead-letters the message. */
  readonly maxReceiveCount: number;
  readonly metrics: MetricSink;
  readonly logger: LogSink;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Whether delivering `message` would repeat or undo what the destination already has:
 * - its version is older than the one delivered (a redriven or backfilled export overtaken by a newer one);
 * - or it is the version delivered, again (SQS redelivered a message whose put succeeded, or the decide
 *   function queued a change twice beyond the FIFO deduplication window). A backfill export of the
 *   delivered version is not a repeat: it carries segments newly mapped since.
 * Version 0 means unversioned (not written by the profile writer): never stale.
 */
export function isStale(message: ExportMessage, deliveredVersion: number | undefined): boolean {
  if (deliveredVersion === undefined || message.profileVersion === 0) return false;
  if (message.profileVersion < deliveredVersion) return true;
  return message.profileVersion === deliveredVersion && !message.reasons.includes('backfill');
}

/** One SQS message of the batch and what became of it. */
interface Item {
  readonly record: SQSRecord;
  readonly group: string;
  readonly receiveCount: number;
  readonly message?: ExportMessage;
  readonly destination?: Destination;
  outcome?: 'delivered' | 'superseded' | PutFailure;
}

function parseItem(record: SQSRecord, destinations: ReadonlyMap<string, Destination>): Item {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const fallbackGroup = record.attributes.MessageGroupId ?? record.messageId;
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    return {
      record,
      group: fallbackGroup,
      receiveCount,
      outcome: { code: 'InvalidMessage', message: 'the message body is not JSON' },
    };
  }
  const parsed = exportMessageSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    return {
      record,
      group: fallbackGroup,
      receiveCount,
      outcome: {
        code: 'InvalidMessage',
        message: `the message is not an export envelope (invalid: ${fields})`,
      },
    };
  }
  const message = parsed.data;
  const destination = destinations.get(message.destinationId);
  const group = record.attributes.MessageGroupId ?? `${message.destinationId}:${message.profileId}`;
  if (destination === undefined) {
    return {
      record,
      group,
      receiveCount,
      message,
      outcome: {
        code: 'UnknownDestination',
        message: `destination "${message.destinationId}" is not in the deployed config; add it back, or leave the export in the DLQ`,
      },
    };
  }
  return { record, group, receiveCount, message, destination };
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
  const now = deps.now ?? Date.now;
  const items = records.map((r) => parseItem(r, deps.destinations));
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const list = groups.get(item.group);
    if (list === undefined) groups.set(item.group, [item]);
    else list.push(item);
  }

  let delivered: Map<string, number>;
  try {
    delivered = await deps.state.deliveredVersions(
      items.flatMap((i) =>
        i.message === undefined
          ? []
          : [{ destinationId: i.message.destinationId, profileId: i.message.profileId }],
      ),
    );
  } catch (error) {
    // Without the ledger no stale export can be told apart: put nothing, let SQS retry the batch.
    logSafely(deps.logger, 'error', 'delivery ledger unreadable; retrying the whole batch', {
      count: items.length,
      ...errorFields(error),
    });
    for (const item of items)
      item.outcome ??= { code: 'StateTableUnavailable', message: 'the delivery ledger could not be read' };
    return finish(items, deps, now, 0);
  }

  let throttled = 0;
  const cursor = new Map<string, number>();
  const blocked = new Set<string>();
  for (;;) {
    // The next message of every group that is still going, skipping superseded ones.
    const round: Item[] = [];
    for (const [group, list] of groups) {
      if (blocked.has(group)) continue;
      let at = cursor.get(group) ?? 0;
      while (at < list.length) {
        const item = list[at] as Item;
        if (item.outcome !== undefined && item.outcome !== 'superseded' && item.outcome !== 'delivered') {
          at = list.length; // a failed or invalid message holds the rest of its group back
          break;
        }
        const message = item.message as ExportMessage;
        const key = deliveredKey(message.destinationId, message.profileId);
        if (isStale(message, delivered.get(key))) {
          item.outcome = 'superseded';
          at++;
          continue;
        }
        round.push(item);
        break;
      }
      cursor.set(group, at + 1);
    }
    if (round.length === 0) break;

    const byDestination = new Map<string, Item[]>();
    for (const item of round) {
      const id = (item.destination as Destination).id;
      byDestination.set(id, [...(byDestination.get(id) ?? []), item]);
    }
    await Promise.all(
      [...byDestination.values()].map(async (batch) => {
        const destination = batch[0]?.destination as Destination;
        const { client, target } = deps.clients.forDestination(destination);
        const outcome = await putRecordsInChunks(
          batch.map((item) => ({
            key: item.record.messageId,
            data: Buffer.from(JSON.stringify((item.message as ExportMessage).document), 'utf8'),
            partitionKey: (item.message as ExportMessage).profileId,
          })),
          {
            client,
            target,
            remainingMs,
            ...(deps.sleep && { sleep: deps.sleep }),
            ...(deps.random && { random: deps.random }),
          },
        );
        throttled += outcome.throttledEntries;
        for (const item of batch) {
          const failure = outcome.failed.get(item.record.messageId);
          if (failure !== undefined) {
            item.outcome = failure;
            blocked.add(item.group);
            continue;
          }
          item.outcome = 'delivered';
          const message = item.message as ExportMessage;
          const key = deliveredKey(message.destinationId, message.profileId);
          delivered.set(key, Math.max(delivered.get(key) ?? 0, message.profileVersion));
          deps.metrics.milliseconds(METRIC.exportLatency, now() - message.sourceTime);
        }
      }),
    );
  }
  return finish(items, deps, now, throttled, delivered);
}

async function finish(
  items: Item[],
  deps: ExportDependencies,
  now: () => number,
  throttled: number,
  delivered?: ReadonlyMap<string, number>,
): Promise<SQSBatchResponse> {
  // Messages held back behind a failure of their group.
  const byGroup = new Map<string, Item>();
  for (const item of items) {
    const blocker = byGroup.get(item.group);
    if (item.outcome === undefined) {
      item.outcome = {
        code: 'PrecedingExportFailed',
        message: `held back: an earlier export of this profile (message ${blocker?.record.messageId ?? 'unknown'}) failed`,
      };
    }
    if (typeof item.outcome === 'object' && blocker === undefined) byGroup.set(item.group, item);
  }

  const deliveredItems = items.filter((i) => i.outcome === 'delivered');
  if (delivered !== undefined && deliveredItems.length > 0) {
    const updates = new Map<string, number>();
    for (const item of deliveredItems) {
      const m = item.message as ExportMessage;
      const key = deliveredKey(m.destinationId, m.profileId);
      updates.set(key, delivered.get(key) ?? m.profileVersion);
    }
    try {
      await deps.state.recordDelivered(updates);
    } catch (error) {
      // The records are in Kinesis: failing the messages now would put them again, after later ones.
      logSafely(
        deps.logger,
        'error',
        'delivery ledger not updated; stale redrives of these profiles are not skipped',
        {
          count: updates.size,
          ...errorFields(error),
        },
      );
    }
  }

  const failed = items.filter((i): i is Item & { outcome: PutFailure } => typeof i.outcome === 'object');
  const at = now();
  await Promise.all(
    failed.map(async (item) => {
      const m = item.message;
      const deadLettered = item.receiveCount >= deps.maxReceiveCount;
      logSafely(
        deps.logger,
        deadLettered ? 'error' : 'warn',
        deadLettered
          ? 'export failed on its last attempt: dead-lettered'
          : 'export failed; SQS will retry it',
        {
          messageId: item.record.messageId,
          code: item.outcome.code,
          receiveCount: item.receiveCount,
          ...(m && { exportId: m.exportId, destinationId: m.destinationId, profileId: m.profileId }),
        },
      );
      if (m === undefined) return;
      try {
        await deps.state.recordFailure({
          exportId: m.exportId,
          destinationId: m.destinationId,
          profileId: m.profileId,
          code: item.outcome.code,
          message: item.outcome.message,
          attempts: item.receiveCount,
          lastFailureAt: at,
        });
      } catch (error) {
        logSafely(deps.logger, 'error', 'failure record not written', {
          exportId: m.exportId,
          ...errorFields(error),
        });
      }
    }),
  );

  const superseded = items.filter((i) => i.outcome === 'superseded');
  for (const item of superseded) {
    const m = item.message as ExportMessage;
    logSafely(
      deps.logger,
      'info',
      'stale export skipped: a newer version of the profile was already delivered',
      {
        exportId: m.exportId,
        destinationId: m.destinationId,
        profileId: m.profileId,
        profileVersion: m.profileVersion,
      },
    );
  }
  deps.metrics.count(METRIC.recordsPut, deliveredItems.length);
  deps.metrics.count(METRIC.recordsThrottled, throttled);
  deps.metrics.count(METRIC.recordsFailed, failed.length);
  deps.metrics.count(
    METRIC.recordsDeadLettered,
    failed.filter((i) => i.receiveCount >= deps.maxReceiveCount).length,
  );
  deps.metrics.count(METRIC.exportsSuperseded, superseded.length);
  return { batchItemFailures: failed.map((i) => ({ itemIdentifier: i.record.messageId })) };
}
