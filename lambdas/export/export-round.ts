import type { DestinationClients } from '../../adapters/aws-clients.js';
import { isAuthenticationError } from '../../adapters/destination-credentials.js';
import { type PutFailure, type PutOutcome, putRecordsInChunks } from '../../adapters/put-records.js';
import type { Destination } from '../../core/config.js';
import { type LogSink, logSafely } from '../commons/observability.js';
import type { PuttableItem } from './export-items.js';

/** What putting a round needs. */
export interface RoundDependencies {
  readonly clients: Pick<DestinationClients, 'forDestination' | 'refresh' | 'redact'>;
  readonly logger: LogSink;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** What became of a round's puts. */
export interface RoundOutcome {
  /** Messages whose record Kinesis accepted. */
  readonly accepted: Set<PuttableItem>;
  /** Messages whose put failed, with the failure (credential material taken out of its message). */
  readonly failed: Map<PuttableItem, PutFailure>;
  /** Entries throttled by Kinesis, retries included. */
  readonly throttled: number;
}

/**
 * Puts one round — at most one message per group — with one PutRecords series per destination,
 * concurrently: calls and retries start while `putMs` lasts, and a call started may run on until
 * `callMs` (the deadline for answering) rather than be abandoned when it may have succeeded. A destination whose credentials AWS refuses (a rotated key, an expired session) gets
 * its client and credentials dropped and those entries put once more with fresh ones, at most once
 * per invocation (`refreshed` remembers), before they count as failed.
 */
export async function putRound(
  round: readonly PuttableItem[],
  budget: { readonly putMs: () => number; readonly callMs: () => number },
  refreshed: Set<string>,
  deps: RoundDependencies,
  onAccepted: (item: PuttableItem) => void,
): Promise<RoundOutcome> {
  const byDestination = new Map<Destination, PuttableItem[]>();
  for (const item of round)
    byDestination.set(item.destination, [...(byDestination.get(item.destination) ?? []), item]);
  const accepted = new Set<PuttableItem>();
  const failed = new Map<PuttableItem, PutFailure>();
  let throttled = 0;
  await Promise.all(
    [...byDestination].map(async ([destination, items]) => {
      const byId = new Map(items.map((i) => [i.record.messageId, i]));
      const put = async (batch: readonly PuttableItem[]): Promise<PutOutcome> => {
        const { client, target } = deps.clients.forDestination(destination);
        return putRecordsInChunks(
          batch.map((item) => ({
            key: item.record.messageId,
            data: Buffer.from(item.message.documentJson, 'utf8'),
            partitionKey: item.message.profileId,
          })),
          {
            client,
            target,
            remainingMs: budget.putMs,
            callRemainingMs: budget.callMs,
            onAccepted: (keys) => {
              for (const key of keys) {
                const item = byId.get(key);
                if (item !== undefined) onAccepted(item);
              }
            },
            ...(deps.sleep && { sleep: deps.sleep }),
            ...(deps.random && { random: deps.random }),
          },
        );
      };
      let outcome = await put(items);
      throttled += outcome.throttledEntries;
      const refused = items.filter((i) =>
        isAuthenticationError(outcome.failed.get(i.record.messageId)?.code ?? ''),
      );
      if (refused.length > 0 && !refreshed.has(destination.id) && deps.clients.refresh(destination)) {
        refreshed.add(destination.id);
        logSafely(deps.logger, 'warn', 'credentials refused; retrying once with fresh credentials', {
          destinationId: destination.id,
          code: outcome.failed.get(refused[0]?.record.messageId ?? '')?.code ?? 'unknown',
          count: refused.length,
        });
        const retry = await put(refused);
        throttled += retry.throttledEntries;
        const merged = new Map(outcome.failed);
        for (const item of refused) {
          const again = retry.failed.get(item.record.messageId);
          if (again === undefined) merged.delete(item.record.messageId);
          else merged.set(item.record.messageId, again);
        }
        outcome = { ...outcome, failed: merged };
      }
      for (const item of items) {
        const failure = outcome.failed.get(item.record.messageId);
        if (failure === undefined) accepted.add(item);
        else failed.set(item, { code: failure.code, message: deps.clients.redact(failure.message) });
      }
    }),
  );
  return { accepted, failed, throttled };
}
