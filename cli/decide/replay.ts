/**
 * `decide replay`: a shard range the decide mapping gave up on (its description in the
 * decide-failures queue), read again from the stream while it is retained and run through the decide
 * function, so the changes in it — exits included — reach the export queue after all; then the
 * current state of each profile that changed since (`catch-up.ts`), so it is last again. The failure
 * message is deleted only when the whole range was decided and queued.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import { UsageError } from '../../core/errors.js';
import { PIPELINE_SETTINGS } from '../../core/pipeline-settings.js';
import { HeldMessages } from '../dlq/hold.js';
import { sleep } from '../dlq/queue.js';
import { catchUpRecords } from './catch-up.js';
import type { DecideInvoker } from './decide-function.js';
import { type DecideFailure, parseDecideFailure, tableOfStreamArn } from './failure-message.js';
import { RangeLostError, readStreamRange } from './stream-range.js';

/** What became of one failure message. */
export interface ReplayOutcome {
  readonly messageId: string;
  /**
   * `replayed` (decided, queued, the message deleted); `planned` (a dry run, or awaiting the
   * confirmation); `lost` (past the stream's retention); `failed` (the decide function kept failing);
   * `refused` (not this deployment's stream, or not a failure record). The message stays unless replayed.
   */
  readonly status: 'replayed' | 'planned' | 'lost' | 'failed' | 'refused';
  readonly shardId?: string;
  readonly startSequenceNumber?: string;
  readonly endSequenceNumber?: string;
  /** Records read from the range. */
  readonly records?: number;
  readonly detail: string;
}

/** Options of {@link replayDecideFailures}. */
export interface ReplayOptions {
  readonly sqs: SQSClient;
  readonly streams: DynamoDBStreamsClient;
  readonly failuresQueueUrl: string;
  /** The deployment's profile table: a failure of another table's stream is refused. */
  readonly profileTableName: string;
  /** Reads the profile table's current items (the catch-up, `catch-up.ts`). */
  readonly dynamo: DynamoDBClient;
  /** Loads the decide function (only when something is replayed). */
  readonly loadDecide: () => Promise<DecideInvoker>;
  /** Only this failure message. @default every message of the queue */
  readonly messageId?: string;
  readonly dryRun?: boolean;
  /** Asked once, with the ranges about to be replayed; throws to refuse. */
  readonly confirm?: (planned: readonly ReplayOutcome[]) => Promise<void>;
  /** Invocations of a batch that keeps failing before its range is given up (kept). @default 3 */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly retryDelayMs?: number;
  /** Options of the range read (tests shorten the waits). */
  readonly emptyReadPauseMs?: number;
  readonly maxEmptyReads?: number;
}

interface Received {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
}

/** Reads every visible failure message once, holding them (renewed) until `held` releases them. */
async function receiveAll(sqs: SQSClient, queueUrl: string, held: HeldMessages, holdSeconds: number) {
  const messages: Received[] = [];
  const seen = new Set<string>();
  let empty = 0;
  while (empty < 3) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: holdSeconds,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    for (const m of Messages) {
      held.add(m.ReceiptHandle);
      const id = m.MessageId ?? '';
      if (seen.has(id)) continue;
      seen.add(id);
      messages.push({ messageId: id, receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '' });
    }
  }
  return messages;
}

/**
 * Runs a range through the decide function the way Lambda runs a stream batch: batches of the
 * mapping's size, in order; a batch that reports a failed record is retried from that record (up to
 * `maxAttempts` invocations). Returns undefined when every record was decided and queued, else why not.
 */
async function decideRange(
  records: readonly DynamoDBRecord[],
  decide: DecideInvoker,
  options: ReplayOptions,
): Promise<string | undefined> {
  const batchSize = PIPELINE_SETTINGS.decide.batchSize;
  let next = 0;
  let attempts = 0;
  while (next < records.length) {
    const batch = records.slice(next, next + batchSize);
    attempts += 1;
    let failedAt: number;
    try {
      const response = await decide({ Records: batch });
      const failed = new Set((response.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      const index = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? r.eventID ?? ''));
      failedAt = failed.size === 0 ? -1 : index === -1 ? 0 : index;
    } catch (error) {
      if (attempts >= (options.maxAttempts ?? 3))
        return `the decide function failed ${attempts} time(s): ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      await sleep(options.retryDelayMs ?? 1_000);
      continue;
    }
    if (failedAt === -1) {
      next += batch.length;
      attempts = 0;
      continue;
    }
    next += failedAt;
    if (attempts >= (options.maxAttempts ?? 3))
      return `the decide function could not queue record ${records[next]?.dynamodb?.SequenceNumber ?? next} after ${attempts} attempt(s) (an export queue or rejects queue that keeps refusing; the function's log lines above say which)`;
    await sleep(options.retryDelayMs ?? 1_000);
  }
  return undefined;
}

/** The table's ARN (account, region, name), or undefined without dynamodb:DescribeTable. */
async function tableArnOf(dynamo: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    return (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableArn;
  } catch {
    return undefined;
  }
}

/**
 * Why a range's stream is not this deployment's profile table's (pure): the stream ARN must extend
 * the table's ARN (same partition, region, account and table); without the table's ARN, its name
 * must match. Undefined when it is the deployment's.
 */
export function foreignStream(
  streamArn: string,
  profileTableName: string,
  profileTableArn: string | undefined,
): string | undefined {
  const fix = "replay it with that pipeline's --stack";
  if (profileTableArn !== undefined) {
    return streamArn.startsWith(`${profileTableArn}/stream/`)
      ? undefined
      : `the range is of stream ${streamArn}, not of this deployment's profile table ${profileTableArn}: ${fix}`;
  }
  const table = tableOfStreamArn(streamArn);
  return table === profileTableName
    ? undefined
    : `the range is of table "${table}"'s stream, not of this deployment's profile table "${profileTableName}": ${fix}`;
}

function rangeFields(failure: DecideFailure) {
  const info = failure.DDBStreamBatchInfo;
  return {
    shardId: info.shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
  };
}

/**
 * Replays the ranges described in the decide-failures queue (or the one `messageId` names): each is
 * checked to be a range of this deployment's profile table stream, read exactly (from its start to its
 * end sequence number), confirmed, and run through the decide function; the message is deleted only
 * when the whole range was decided and queued. Exports already queued before are dropped by the export
 * queue's deduplication (same deduplication ids) within five minutes; later, the delivery ledger judges
 * repeats of profiles it tracks. Messages not replayed are released for the next attempt.
 * @throws what `confirm` throws (nothing replayed); the SDK's error.
 */
export async function replayDecideFailures(options: ReplayOptions): Promise<ReplayOutcome[]> {
  const holdSeconds = 300;
  const held = new HeldMessages({ sqs: options.sqs, queueUrl: options.failuresQueueUrl, holdSeconds });
  try {
    const all = await receiveAll(options.sqs, options.failuresQueueUrl, held, holdSeconds);
    const chosen =
      options.messageId === undefined ? all : all.filter((m) => m.messageId === options.messageId);
    const outcomes = new Map<string, ReplayOutcome>();
    const profileTableArn = tableArnOf(options.dynamo, options.profileTableName);
    const ready: { message: Received; failure: DecideFailure; records: DynamoDBRecord[] }[] = [];
    for (const message of chosen) {
      const parsed = parseDecideFailure(message.body);
      if (!parsed.ok) {
        outcomes.set(message.messageId, {
          messageId: message.messageId,
          status: 'refused',
          detail: parsed.problem,
        });
        continue;
      }
      const { failure } = parsed;
      const range = failure.DDBStreamBatchInfo;
      const base = { messageId: message.messageId, ...rangeFields(failure) };
      const foreign = foreignStream(range.streamArn, options.profileTableName, await profileTableArn);
      if (foreign !== undefined) {
        outcomes.set(message.messageId, { ...base, status: 'refused', detail: foreign });
        continue;
      }
      try {
        const records = await readStreamRange({
          streams: options.streams,
          range,
          ...(options.emptyReadPauseMs === undefined ? {} : { emptyReadPauseMs: options.emptyReadPauseMs }),
          ...(options.maxEmptyReads === undefined ? {} : { maxEmptyReads: options.maxEmptyReads }),
        });
        ready.push({ message, failure, records });
        outcomes.set(message.messageId, {
          ...base,
          status: 'planned',
          records: records.length,
          detail: `${records.length} record(s)${range.batchSize !== undefined && range.batchSize !== records.length ? ` (the failure says ${range.batchSize})` : ''} from ${range.approximateArrivalOfFirstRecord ?? '?'} to ${range.approximateArrivalOfLastRecord ?? '?'}, skipped because ${failure.requestContext?.condition ?? 'the mapping gave up'}`,
        });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        outcomes.set(message.messageId, {
          ...base,
          status: error instanceof RangeLostError ? 'lost' : 'failed',
          detail: error.message,
        });
      }
    }
    if (options.dryRun !== true && ready.length > 0) {
      await options.confirm?.(ready.map((r) => outcomes.get(r.message.messageId) as ReplayOutcome));
      const decide = await options.loadDecide();
      const decided: { message: Received; records: DynamoDBRecord[] }[] = [];
      for (const { message, records } of ready) {
        const before = outcomes.get(message.messageId) as ReplayOutcome;
        const problem = await decideRange(records, decide, options);
        if (problem === undefined) decided.push({ message, records });
        else
          outcomes.set(message.messageId, {
            ...before,
            status: 'failed',
            detail: `${problem}; the failure message is kept`,
          });
      }
      // The profiles changed since their range: their current state once more, after the range.
      let caughtUp = 0;
      let catchUpProblem: string | undefined;
      if (decided.length > 0) {
        const changes = await catchUpRecords(
          options.dynamo,
          options.profileTableName,
          decided.flatMap((d) => d.records),
        );
        caughtUp = changes.length;
        catchUpProblem = changes.length === 0 ? undefined : await decideRange(changes, decide, options);
      }
      for (const { message, records } of decided) {
        const before = outcomes.get(message.messageId) as ReplayOutcome;
        if (catchUpProblem !== undefined) {
          outcomes.set(message.messageId, {
            ...before,
            status: 'failed',
            detail: `the range was queued, but the current state of the ${caughtUp} profile(s) that changed since could not be: ${catchUpProblem}; the failure message is kept (a second replay queues the same export ids)`,
          });
          continue;
        }
        await options.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: options.failuresQueueUrl,
            ReceiptHandle: message.receiptHandle,
          }),
        );
        held.forget(message.receiptHandle);
        outcomes.set(message.messageId, {
          ...before,
          status: 'replayed',
          detail: `${records.length} record(s) decided and queued${caughtUp === 0 ? '' : `, then the current state of ${caughtUp} profile(s) of the replayed ranges that changed since`}; the failure message is deleted`,
        });
      }
    }
    return chosen.map((m) => outcomes.get(m.messageId) as ReplayOutcome);
  } finally {
    await held.releaseAll();
  }
}
