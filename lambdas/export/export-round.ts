import type { DestinationClients } from '../../adapters/aws-clients.js';
import { isAuthenticationError } from '../../adapters/destination-credentials.js';
import { type PutOutcome, putRecordsInChunks } from '../../adapters/put-records.js';
import type { Destination } from '../../core/config.js';
import type { PutAnswer } from '../../core/export-machine.js';
import { type LogSink, logSafely } from '../commons/observability.js';
import type { PuttableItem } from './export-items.js';

/** What putting a round needs. */
export interface RoundDependencies {
  readonly clients: Pick<DestinationClients, 'forDestination' | 'refresh' | 'redact'>;
  readonly logger: LogSink;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The time a round may use: calls start while `putMs` lasts; `signal` (the deadline) aborts them. */
export interface RoundBudget {
  readonly putMs: () => number;
  readonly signal?: AbortSignal;
}

/** What Kinesis answered for a round. */
export interface RoundOutcome {
  /** Per SQS message id; messages accepted are also reported through `onAccepted` as they are. */
  readonly answers: Map<string, PutAnswer>;
  /** Entries throttled by Kinesis, retries included. */
  readonly throttled: number;
}

/**
 * Puts one round — at most one message per group — with one PutRecords series per destination,
 * concurrently. `onAccepted` hears of each message Kinesis accepted as soon as its call answered
 * (before the retries of the others end). A destination whose credentials AWS refuses (a rotated key,
 * an expired session) gets its client and credentials dropped and those entries put once more with
 * fresh ones, at most once per invocation (`refreshed` remembers), before they count as failed.
 * Failure messages have credential material taken out.
 */
export async function putRound(
  round: readonly PuttableItem[],
  budget: RoundBudget,
  refreshed: Set<string>,
  deps: RoundDependencies,
  onAccepted: (item: PuttableItem) => void,
): Promise<RoundOutcome> {
  const byDestination = new Map<Destination, PuttableItem[]>();
  for (const item of round)
    byDestination.set(item.destination, [...(byDestination.get(item.destination) ?? []), item]);
  const answers = new Map<string, PutAnswer>();
  let throttled = 0;
  await Promise.all(
    [...byDestination].map(async ([destination, items]) => {
      const byId = new Map(items.map((i) => [i.record.messageId, i]));
      const put = async (batch: readonly PuttableItem[]): Promise<PutOutcome> => {
        const { client, target } = deps.clients.forDestination(destination);
        return putRecordsInChunks(
          batch.map((item) => ({
            key: item.record.messageId,
            data: item.data,
            partitionKey: item.message.profileId,
          })),
          {
            client,
            target,
            remainingMs: budget.putMs,
            ...(budget.signal && { signal: budget.signal }),
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
        const failed = new Map(outcome.failed);
        for (const item of refused) {
          const again = retry.failed.get(item.record.messageId);
          if (again === undefined) failed.delete(item.record.messageId);
          else failed.set(item.record.messageId, again);
        }
        const retried = new Set(refused.map((i) => i.record.messageId));
        const notSent = new Set([...outcome.notSent].filter((id) => !retried.has(id)));
        for (const id of retry.notSent) notSent.add(id);
        outcome = { ...outcome, failed, notSent };
      }
      for (const item of items) {
        const id = item.record.messageId;
        const failure = outcome.failed.get(id);
        if (failure === undefined) {
          answers.set(id, { kind: 'accepted', owesLedgerWrite: false });
          continue;
        }
        const redacted = { ...failure, message: deps.clients.redact(failure.message) };
        answers.set(
          id,
          outcome.notSent.has(id)
            ? { kind: 'not-sent', failure: redacted }
            : { kind: 'failed', failure: redacted },
        );
      }
    }),
  );
  return { answers, throttled };
}
