/**
 * The export function's I/O loop: the export state machine (core/export-machine.ts) decides, this
 * file does what it decides and feeds each outcome back — ledger reads and writes (`export-ledger.ts`),
 * PutRecords (`export-round.ts`), failure records, dead-letter moves, deletes — then logs, counts and
 * answers. One time budget: what is left of the invocation, with Middy's early timeout as the
 * deadline (its signal aborts the call in flight; {@link RunningExport.answerNow} is its answer).
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { fullJitterDelay, sleep } from '../../adapters/backoff.js';
import { deadLetterDeduplicationId, type ExportQueue } from '../../adapters/export-queue.js';
import type { FailureRecord, StateTable } from '../../adapters/state-table.js';
import type { Destination } from '../../core/config.js';
import { deadLetterAttributes } from '../../core/dead-letter.js';
import {
  type BatchState,
  type ExportFailure,
  hasNextRound,
  leftToTheQueue,
  messagesAt,
  nextRound,
  onDeadline,
  onLedgerUnavailable,
  onMoved,
  onPutResults,
  onRecorded,
  type PutAnswer,
  response,
  startBatch,
} from '../../core/export-machine.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { errorFields, logSafely, type MetricSink } from '../commons/observability.js';
import { type ExportItem, isPuttable, logFieldsOf, parseItem, redrivenIds } from './export-items.js';
import { LedgerSession, type LedgerStore } from './export-ledger.js';
import { reportBatch } from './export-report.js';
import { putRound, type RoundDependencies } from './export-round.js';

/** What the export function needs; the handler builds it once per cold start, tests inject it. */
export interface ExportDependencies extends RoundDependencies {
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly state: LedgerStore & Pick<StateTable, 'recordFailure' | 'failureAttempts'>;
  readonly queue: Pick<ExportQueue, 'deleteMessages' | 'moveToDeadLetterQueue'>;
  /** The export queue's maxReceiveCount: the backstop after which the queue moves a message itself. */
  readonly maxReceiveCount: number;
  readonly metrics: MetricSink;
  readonly now?: () => number;
}

/** The invocation's time. */
export interface ExportOptions {
  /** What is left of the invocation (`context.getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  /** Middy's early-timeout signal: the deadline. @default - none (the batch runs to its end) */
  readonly signal?: AbortSignal;
}

/** A batch being exported. */
export interface RunningExport {
  /** The answer when the batch is done (or its signal aborted). */
  readonly done: Promise<SQSBatchResponse>;
  /**
   * The answer now, for Middy's `timeoutEarlyResponse`: what is done (what Kinesis accepted that
   * owes no ledger write included) and the rest as failures. Nothing changes after it.
   */
  answerNow(): SQSBatchResponse;
}

/** Exports one batch of the FIFO export queue to Kinesis, in order per profile ({@link startExport}). */
export function exportBatch(
  records: readonly SQSRecord[],
  deps: ExportDependencies,
  options: ExportOptions,
): Promise<SQSBatchResponse> {
  return startExport(records, deps, options).done;
}

/**
 * Starts exporting one batch: the machine takes one message per profile per round and this loop
 * puts them, records what became of them, moves to the dead-letter queue what the last-attempt rule
 * sends there (and goes on with that profile), and deletes what it has put while later rounds run.
 * Answers with every message not done as a batch item failure, once — at the end, or at the deadline.
 */
export function startExport(
  records: readonly SQSRecord[],
  deps: ExportDependencies,
  options: ExportOptions,
): RunningExport {
  const now = deps.now ?? Date.now;
  const items = records.map((r) => parseItem(r, deps.destinations));
  const byId = new Map(items.map((i) => [i.record.messageId, i]));
  const itemOf = (id: string) => byId.get(id) as ExportItem;
  const settings = { attempts: PIPELINE_SETTINGS.export.attempts, maxReceiveCount: deps.maxReceiveCount };
  let state: BatchState = startBatch(
    items.map((i) => i.batch),
    settings,
  );
  let answered: SQSBatchResponse | undefined;
  let throttled = 0;
  // Calls start until the deadline (Middy's, `answerEarlyMs` before the end) less the time kept for
  // recording what they came to: the reserve, or a quarter of the invocation if that is less.
  const { answerEarlyMs } = PIPELINE_SETTINGS.export;
  const reserve =
    answerEarlyMs + Math.min(PIPELINE_SETTINGS.putRecords.reserveMs, options.remainingMs() * 0.25);
  const budget = {
    putMs: () => options.remainingMs() - reserve,
    ...(options.signal && { signal: options.signal }),
  };
  const stopped = () => answered !== undefined || options.signal?.aborted === true;
  const failureRecords = new Map<string, FailureRecord>();
  const fieldsOf = (id: string) => logFieldsOf(itemOf(id));
  let redriven: ReadonlySet<string> = new Set(); // noted once the ledger is read

  const answer = (): SQSBatchResponse => {
    if (answered !== undefined) return answered;
    answered = response(state);
    reportBatch(state, throttled, { ...deps, now, fieldsOf, redriven });
    return answered;
  };

  /**
   * Writes the failure record of each failure (an attempt adds one to the export's count) and returns
   * the attempts each record holds, by message id. A record that cannot be written is logged: its
   * message's attempts are then unknown.
   */
  async function recordFailures(
    failures: readonly { id: string; failure: ExportFailure; attempted: boolean }[],
  ): Promise<Map<string, number>> {
    const attempts = new Map<string, number>();
    await Promise.all(
      failures.map(async ({ id, failure, attempted }) => {
        const message = itemOf(id).message;
        if (message === undefined) return;
        try {
          const record = await deps.state.recordFailure({
            exportId: message.exportId,
            destinationId: message.destinationId,
            profileId: message.profileId,
            code: failure.code,
            message: failure.message,
            lastFailureAt: now(),
            messageId: id,
            attempt: attempted,
          });
          failureRecords.set(id, record);
          attempts.set(id, record.attempts);
        } catch (error) {
          logSafely(deps.logger, 'error', 'failure record not written; its attempts are not known', {
            exportId: message.exportId,
            ...errorFields(error),
          });
        }
      }),
    );
    return attempts;
  }

  /** Writes what the ledger owes, trying again with backoff while time lasts; false when it could not. */
  async function flushLedger(ledger: LedgerSession): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await ledger.flush();
        return true;
      } catch (error) {
        const delay = fullJitterDelay(attempt + 1, 100, 1_000, deps.random);
        if (attempt >= 4 || stopped() || options.remainingMs() - delay < 1_000) {
          logSafely(deps.logger, 'error', 'delivery ledger not written', errorFields(error));
          return false;
        }
        await (deps.sleep ?? sleep)(delay);
      }
    }
  }

  /** Records the round's deliveries that owe the ledger and its failures, then applies the rule. */
  async function record(ledger: LedgerSession | undefined): Promise<void> {
    const failing = state.entries.filter((e) => e.status.at === 'failing');
    if (failing.length === 0 && messagesAt(state, 'accepted').length === 0) return;
    for (const { message } of failing) ledger?.failed(itemOf(message.id));
    const [ledgerWritten, attempts] = await Promise.all([
      ledger === undefined ? false : flushLedger(ledger),
      recordFailures(
        failing.flatMap(({ message, status }) =>
          status.at === 'failing'
            ? [{ id: message.id, failure: status.failure, attempted: status.attempted }]
            : [],
        ),
      ),
    ]);
    state = onRecorded(state, { ledgerWritten, attempts });
  }

  /** Moves what the machine sends to the dead-letter queue, with its failure attached. */
  async function move(): Promise<void> {
    const moving = state.entries.filter((e) => e.status.at === 'moving');
    if (moving.length === 0 || stopped()) return;
    const moved = await Promise.all(
      moving.map(async ({ message: m, status }): Promise<[string, boolean]> => {
        if (status.at !== 'moving') return [m.id, false];
        const item = itemOf(m.id);
        return [m.id, await moveToDeadLetterQueue(item, status.failure, status.attempts)];
      }),
    );
    state = onMoved(state, new Map(moved));
  }

  async function moveToDeadLetterQueue(
    item: ExportItem,
    failure: ExportFailure,
    attempts: number | undefined,
  ): Promise<boolean> {
    const m = item.message;
    const at = now();
    const first =
      failureRecords.get(item.record.messageId)?.firstFailureAt ??
      (Number(item.record.attributes.ApproximateFirstReceiveTimestamp) || at);
    const { outcome, error } = await deps.queue.moveToDeadLetterQueue({
      receiptHandle: item.record.receiptHandle,
      body: item.record.body,
      groupId: item.record.attributes.MessageGroupId ?? item.batch.group,
      deduplicationId: deadLetterDeduplicationId(item.record.messageId),
      attributes: deadLetterAttributes({
        errorCode: failure.code,
        errorMessage: failure.message,
        attempts,
        retryable: failure.retryable,
        firstFailureAt: first,
        lastFailureAt: at,
        destinationId: m?.destinationId,
        exportId: m?.exportId,
      }),
    });
    const ids = {
      messageId: item.record.messageId,
      code: failure.code,
      receiveCount: item.batch.receiveCount,
      ...(attempts !== undefined && { attempts }),
      ...logFieldsOf(item),
    };
    if (outcome === 'not-sent') {
      logSafely(deps.logger, 'error', 'export could not be moved to the dead-letter queue; it stays', {
        ...ids,
        ...(error === undefined ? {} : errorFields(error)),
      });
      return false;
    }
    logSafely(deps.logger, 'error', 'export moved to the dead-letter queue with its failure', ids);
    return true;
  }

  /** Answers accepted puts: delivered, or accepted with a ledger write owed. */
  function accepted(ledger: LedgerSession, ids: readonly string[]): void {
    const answers = new Map<string, PutAnswer>();
    for (const id of ids) {
      if (!state.entries.some((e) => e.message.id === id && e.status.at === 'putting')) continue;
      answers.set(id, { kind: 'accepted', owesLedgerWrite: ledger.delivered(itemOf(id)) });
    }
    state = onPutResults(state, answers);
  }

  async function rounds(ledger: LedgerSession): Promise<void> {
    const refreshed = new Set<string>();
    const backfill = new Set<string>();
    const deleted = new Set<string>();
    while (!stopped() && hasNextRound(state)) {
      const round = nextRound(state, (key) => ledger.entry(key));
      state = round.state;
      const puts = round.puts.map((m) => itemOf(m.id)).filter(isPuttable);
      for (const item of puts)
        if (item.message.reasons.includes('backfill')) backfill.add(item.destination.id);
      if (puts.length > 0) {
        let written = true;
        try {
          await ledger.writeAhead(puts);
        } catch (error) {
          written = false;
          logSafely(deps.logger, 'error', 'delivery ledger not written; these exports are not put', {
            count: puts.length,
            ...errorFields(error),
          });
          const failure = {
            code: 'StateTableUnavailable',
            message: 'the delivery ledger write-ahead failed',
            retryable: true,
          };
          const notSent = { kind: 'not-sent', failure } as const;
          state = onPutResults(state, new Map(puts.map((i) => [i.record.messageId, notSent])));
        }
        if (written) {
          const outcome = await putRound(puts, budget, refreshed, deps, (item) =>
            accepted(ledger, [item.record.messageId]),
          );
          throttled += outcome.throttled;
          accepted(
            ledger,
            [...outcome.answers].filter(([, a]) => a.kind === 'accepted').map(([id]) => id),
          );
          state = onPutResults(state, outcome.answers);
        }
      }
      await record(ledger);
      await move();
      const done = messagesAt(state, 'delivered').filter((m) => !deleted.has(m.id));
      if (!stopped() && done.length > 0 && hasNextRound(state)) {
        // Later rounds follow: delete what is put now, so a crash cannot have SQS hand it out again.
        for (const m of done) deleted.add(m.id);
        await deps.queue.deleteMessages(done.map((m) => itemOf(m.id).record.receiptHandle));
      }
    }
    if (backfill.size > 0 && !stopped()) {
      await ledger
        .extendWindows([...backfill])
        .catch((error: unknown) =>
          logSafely(deps.logger, 'error', 'backfill window not extended', errorFields(error)),
        );
    }
  }

  /**
   * Messages answered as failed on their last receive: the queue moves them next (without their
   * failure), so the ledger holds them as pending and their failure record says why.
   */
  async function noteLeftToTheQueue(ledger: LedgerSession): Promise<void> {
    if (stopped()) return;
    // The failed ones have their failure record already; the held-back ones get theirs now.
    const held = new Set(messagesAt(state, 'queued'));
    const left = leftToTheQueue(state).filter((m) => itemOf(m.id).message !== undefined);
    if (left.length === 0) return;
    for (const m of left) ledger.failed(itemOf(m.id));
    const failure = {
      code: 'PrecedingExportFailed',
      message: 'held back behind an earlier failed export of its profile on its last receive',
      retryable: true,
    };
    await Promise.all([
      flushLedger(ledger),
      recordFailures(left.filter((m) => held.has(m)).map((m) => ({ id: m.id, failure, attempted: false }))),
    ]);
  }

  async function run(): Promise<void> {
    const retried = items.flatMap((i) =>
      i.message !== undefined && i.batch.receiveCount >= 2
        ? [{ exportId: i.message.exportId, messageId: i.record.messageId }]
        : [],
    );
    const attemptsRead =
      retried.length === 0
        ? Promise.resolve(new Map())
        : deps.state.failureAttempts(retried).catch((error: unknown) => {
            logSafely(
              deps.logger,
              'warn',
              'failure records unreadable; attempts so far unknown',
              errorFields(error),
            );
            return new Map();
          });
    let ledger: LedgerSession;
    try {
      const [session, made] = await Promise.all([LedgerSession.load(items, deps.state, now), attemptsRead]);
      ledger = session;
      redriven = redrivenIds(items, (key) => session.entry(key).pending);
      if (made.size > 0 && !stopped()) {
        state = startBatch(
          items.map((i) => {
            const r = i.message === undefined ? undefined : made.get(i.message.exportId);
            if (r === undefined) return i.batch;
            const lastFailure = { code: r.code, message: r.message, retryable: true };
            return { ...i.batch, attemptsMade: r.attempts, lastFailure };
          }),
          settings,
        );
      }
    } catch (error) {
      // Without the ledger no stale export can be told apart: put nothing, let SQS retry the batch.
      logSafely(deps.logger, 'error', 'delivery ledger unreadable; retrying the whole batch', {
        count: items.length,
        ...errorFields(error),
      });
      redriven = redrivenIds(items, () => []);
      state = onLedgerUnavailable(state);
      await record(undefined);
      await move();
      return;
    }
    await rounds(ledger);
    await noteLeftToTheQueue(ledger);
  }

  const done = run().then(() => {
    if (options.signal?.aborted === true) state = onDeadline(state);
    return answer();
  });
  return {
    done,
    answerNow: () => {
      state = onDeadline(state);
      return answer();
    },
  };
}
