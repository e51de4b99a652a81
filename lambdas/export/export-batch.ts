import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { fullJitterDelay, sleep } from '../../adapters/backoff.js';
import type { ExportQueue } from '../../adapters/export-queue.js';
import type { PutFailure } from '../../adapters/put-records.js';
import type { Destination } from '../../core/config.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { errorFields, logSafely, METRIC } from '../commons/observability.js';
import { type DeadLetterDependencies, moveToDeadLetterQueue } from './export-dead-letter.js';
import { type ExportItem, type PuttableItem, parseItem, type Settled } from './export-items.js';
import { LedgerSession, type LedgerStore } from './export-ledger.js';
import { batchResponse, type ReportDependencies, reportBatch, settle } from './export-report.js';
import { putRound, type RoundDependencies } from './export-round.js';

/** What the export function needs; the handler builds it once per cold start, tests inject it. */
export interface ExportDependencies extends ReportDependencies, RoundDependencies {
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly state: LedgerStore & ReportDependencies['state'];
  readonly queue: Pick<ExportQueue, 'deleteMessages' | 'moveToDeadLetterQueue'>;
}

/**
 * The time an invocation may spend putting: what is left of it minus the reserve kept back for
 * recording the outcome (ledger, failure log, dead-letter moves) and answering — the configured
 * reserve, or a quarter of the invocation if less.
 */
export function putBudget(remainingMs: () => number): () => number {
  const reserve = Math.min(PIPELINE_SETTINGS.putRecords.reserveMs, remainingMs() * 0.25);
  return () => remainingMs() - reserve;
}

/**
 * When the function answers with what it has done if it is not finished: this long before the
 * invocation's end (a twentieth of the time left at the start, at most half a second) — before
 * Lambda's timeout, and before Middy's early-timeout guard, which would fail the whole batch and have
 * SQS hand out again the messages already put.
 */
export function answerDeadline(remainingAtStartMs: number): number {
  return Math.max(0, remainingAtStartMs - Math.min(500, remainingAtStartMs * 0.05));
}

/**
 * Exports one batch of the FIFO export queue to Kinesis, in order per profile.
 *
 * - Messages of one group (destination + profile) are put one per `PutRecords` round, in order:
 *   PutRecords does not keep order between entries of one call when one fails.
 * - The delivery ledger (core/staleness.ts) skips an export a later delivery superseded (a redrive
 *   after newer exports) or a repeat, for every writer; it is read and written only where that is
 *   possible.
 * - A message that fails stops its group: it and the later messages of the group are reported as
 *   failures, so SQS hands them out again in order. On its last attempt (the receive count the
 *   redrive policy allows) the function moves it to the dead-letter queue itself, with its failure as
 *   message attributes, and the group goes on; the redrive policy stays as the backstop.
 * - Credentials AWS refuses are refreshed once before the entries fail.
 * - Messages put while later rounds still run are deleted at once; if time runs out, the function
 *   answers with what it has done (never a whole-batch failure).
 */
export async function exportBatch(
  records: readonly SQSRecord[],
  remainingMs: () => number,
  deps: ExportDependencies,
): Promise<SQSBatchResponse> {
  const run = new BatchRun(records, remainingMs, deps);
  let timer: NodeJS.Timeout | undefined;
  const early = new Promise<SQSBatchResponse>((resolve) => {
    timer = setTimeout(() => resolve(run.answerNow()), answerDeadline(remainingMs()));
  });
  try {
    return await Promise.race([run.execute(), early]);
  } finally {
    clearTimeout(timer);
  }
}

/** A group's messages not yet settled, in order; `stopped` once one of them failed. */
interface GroupQueue {
  readonly pending: ExportItem[];
  stopped: boolean;
}

/** One batch's work. */
class BatchRun {
  private readonly items: ExportItem[];
  private readonly outcomes = new Map<ExportItem, Settled>();
  /** Messages Kinesis accepted whose outcome is not settled yet. */
  private readonly accepted = new Set<PuttableItem>();
  private readonly groups = new Map<string, GroupQueue>();
  private readonly refreshed = new Set<string>();
  private readonly now: () => number;
  private readonly budget: { readonly putMs: () => number; readonly callMs: () => number };
  private readonly deadLetters: DeadLetterDependencies;
  private ledger: LedgerSession | undefined;
  private throttled = 0;
  private answered = false;

  constructor(
    records: readonly SQSRecord[],
    remainingMs: () => number,
    private readonly deps: ExportDependencies,
  ) {
    this.items = records.map((r) => parseItem(r, deps.destinations));
    for (const item of this.items) {
      const group = this.groups.get(item.group);
      if (group === undefined) this.groups.set(item.group, { pending: [item], stopped: false });
      else group.pending.push(item);
    }
    this.now = deps.now ?? Date.now;
    // A started call may run until shortly before the answer deadline, whatever the put budget.
    const answerIn = answerDeadline(remainingMs());
    const answerAt = this.now() + answerIn;
    this.budget = { putMs: putBudget(remainingMs), callMs: () => answerAt - this.now() - 50 };
    this.deadLetters = { queue: deps.queue, state: deps.state, logger: deps.logger, now: this.now };
  }

  /** The answer when time runs out: what is settled, plus accepted puts that owe no ledger write. */
  answerNow(): SQSBatchResponse {
    this.answered = true;
    for (const item of this.accepted) {
      if (!this.outcomes.has(item) && this.ledger?.owesNothing(item) === true) {
        this.outcomes.set(item, { status: 'delivered', item });
      }
    }
    const settled = settle(this.items, this.outcomes);
    logSafely(this.deps.logger, 'warn', 'time ran out: answered with the messages settled so far', {
      count: this.items.length,
      delivered: settled.filter((s) => s.status === 'delivered').length,
      failed: settled.filter((s) => s.status === 'failed').length,
    });
    this.deps.metrics.count(METRIC.recordsPut, settled.filter((s) => s.status === 'delivered').length);
    return batchResponse(settled);
  }

  async execute(): Promise<SQSBatchResponse> {
    try {
      this.ledger = await LedgerSession.load(this.items, this.deps.state, this.now);
    } catch (error) {
      // Without the ledger no stale export can be told apart: put nothing, let SQS retry the batch.
      logSafely(this.deps.logger, 'error', 'delivery ledger unreadable; retrying the whole batch', {
        count: this.items.length,
        ...errorFields(error),
      });
      const unavailable = { code: 'StateTableUnavailable', message: 'the delivery ledger could not be read' };
      await this.settleFailures(
        this.items.map((item) => ({
          item,
          failure: item.kind === 'unputtable' ? item.failure : unavailable,
        })),
      );
      return reportBatch(settle(this.items, this.outcomes), 0, this.deps);
    }
    const ledger = this.ledger;
    const backfillDestinations = new Set<string>();
    while (!this.answered) {
      const { puts, failures } = this.nextRound(ledger);
      if (puts.length === 0 && failures.length === 0) break;
      for (const item of puts) if (item.facts.backfill) backfillDestinations.add(item.destination.id);
      await this.putAndSettle(ledger, puts, failures);
    }
    if (this.answered) return batchResponse(settle(this.items, this.outcomes));
    await this.markHeldBack(ledger);
    if (backfillDestinations.size > 0) {
      await ledger
        .extendWindows([...backfillDestinations])
        .catch((error: unknown) =>
          logSafely(this.deps.logger, 'error', 'backfill window not extended', errorFields(error)),
        );
    }
    return reportBatch(settle(this.items, this.outcomes), this.throttled, this.deps);
  }

  /** The next message of every group still going; superseded ones are settled on the way. */
  private nextRound(ledger: LedgerSession): {
    puts: PuttableItem[];
    failures: { item: ExportItem; failure: PutFailure }[];
  } {
    const puts: PuttableItem[] = [];
    const failures: { item: ExportItem; failure: PutFailure }[] = [];
    for (const group of this.groups.values()) {
      while (!group.stopped) {
        const item = group.pending.shift();
        if (item === undefined) break;
        if (item.kind === 'unputtable') {
          failures.push({ item, failure: item.failure });
          break;
        }
        const judgement = ledger.judge(item);
        if (judgement !== 'put') {
          this.outcomes.set(item, { status: 'superseded', item, repeat: judgement === 'repeat' });
          continue;
        }
        puts.push(item);
        break;
      }
    }
    return { puts, failures };
  }

  private async putAndSettle(
    ledger: LedgerSession,
    candidates: readonly PuttableItem[],
    immediate: readonly { item: ExportItem; failure: PutFailure }[],
  ): Promise<void> {
    const failures = [...immediate];
    let puts = candidates;
    try {
      await ledger.writeAhead(candidates);
    } catch (error) {
      logSafely(this.deps.logger, 'error', 'delivery ledger not written; these exports are not put', {
        count: candidates.length,
        ...errorFields(error),
      });
      const failure = { code: 'StateTableUnavailable', message: 'the delivery ledger could not be written' };
      failures.push(...candidates.map((item) => ({ item, failure })));
      puts = [];
    }
    const outcome = await putRound(puts, this.budget, this.refreshed, this.deps, (item) =>
      this.accepted.add(item),
    );
    this.throttled += outcome.throttled;
    const owing = new Set<PuttableItem>();
    for (const item of outcome.accepted) if (ledger.delivered(item)) owing.add(item);
    for (const [item, failure] of outcome.failed) failures.push({ item, failure });
    for (const { item } of failures) ledger.failed(item);
    let delivered = [...outcome.accepted];
    try {
      await this.flushWithRetries(ledger);
    } catch (error) {
      // Put but not recorded: answer them as failed, so they are put again (in order) and recorded then.
      logSafely(
        this.deps.logger,
        'error',
        'delivery ledger not written; the exports that owed it are put again',
        {
          count: owing.size,
          ...errorFields(error),
        },
      );
      const failure = {
        code: 'StateTableUnavailable',
        message: 'put, but the delivery ledger could not be written',
      };
      for (const item of owing) this.settleFailed(item, failure);
      delivered = delivered.filter((item) => !owing.has(item));
    }
    for (const item of delivered) {
      this.outcomes.set(item, { status: 'delivered', item });
      this.accepted.delete(item);
      this.deps.metrics.milliseconds(METRIC.exportLatency, this.now() - item.message.sourceTime);
    }
    await this.settleFailures(failures);
    if (!this.answered && delivered.length > 0 && this.moreToDo()) {
      // Later rounds follow: delete what is put now, so a timeout cannot have SQS hand it out again.
      await this.deps.queue.deleteMessages(delivered.map((i) => i.record.receiptHandle));
    }
  }

  /**
   * Failures in batch order: on the last attempt moved to the dead-letter queue, else reported. A
   * group's failures are settled one after another (a later message of a group whose earlier one
   * stays in the queue must not overtake it), different groups concurrently.
   */
  private async settleFailures(
    failures: readonly { item: ExportItem; failure: PutFailure }[],
  ): Promise<void> {
    const order = new Map(this.items.map((item, i) => [item, i]));
    const byGroup = new Map<string, { item: ExportItem; failure: PutFailure }[]>();
    for (const f of [...failures].sort((a, b) => (order.get(a.item) ?? 0) - (order.get(b.item) ?? 0))) {
      byGroup.set(f.item.group, [...(byGroup.get(f.item.group) ?? []), f]);
    }
    await Promise.all(
      [...byGroup.values()].map(async (group) => {
        let blocked = false;
        for (const { item, failure } of group) {
          const last = item.receiveCount >= this.deps.maxReceiveCount;
          if (
            last &&
            !blocked &&
            !this.answered &&
            (await moveToDeadLetterQueue(item, failure, this.deadLetters))
          ) {
            this.outcomes.set(item, { status: 'dead-lettered', item, failure });
            continue;
          }
          blocked = true;
          this.settleFailed(item, failure);
        }
      }),
    );
  }

  /**
   * Writes what the ledger owes, trying again with backoff while time lasts: a delivery whose write
   * cannot be made is answered as failed and put again, so a short state-table outage is worth waiting
   * out rather than turned into duplicates.
   */
  private async flushWithRetries(ledger: LedgerSession): Promise<void> {
    const wait = this.deps.sleep ?? sleep;
    for (let attempt = 0; ; attempt++) {
      try {
        await ledger.flush();
        return;
      } catch (error) {
        const delay = fullJitterDelay(attempt + 1, 100, 1_000, this.deps.random);
        if (attempt >= 4 || this.answered || this.budget.callMs() - delay < 500) throw error;
        await wait(delay);
      }
    }
  }

  private settleFailed(item: ExportItem, failure: PutFailure): void {
    this.outcomes.set(item, { status: 'failed', item, failure });
    if (item.kind === 'puttable') this.accepted.delete(item);
    const group = this.groups.get(item.group);
    if (group !== undefined) group.stopped = true;
  }

  private moreToDo(): boolean {
    for (const group of this.groups.values()) if (!group.stopped && group.pending.length > 0) return true;
    return false;
  }

  /**
   * Messages held back behind a failure that are on their last receive: the queue moves them itself
   * at their next receive, so they join the pending list now, in order.
   */
  private async markHeldBack(ledger: LedgerSession): Promise<void> {
    const held = this.items.filter(
      (i) => !this.outcomes.has(i) && i.receiveCount >= this.deps.maxReceiveCount,
    );
    if (held.length === 0) return;
    try {
      for (const item of held) ledger.failed(item);
      await ledger.flush();
    } catch (error) {
      logSafely(this.deps.logger, 'error', 'delivery ledger not written for held-back exports', {
        count: held.length,
        ...errorFields(error),
      });
    }
  }
}
