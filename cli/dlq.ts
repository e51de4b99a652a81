import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { type ExportMessage, exportMessageSchema, messageGroupIdFor } from '../core/export-message.js';
import {
  type DeploymentCommandOptions,
  loadCommandConfig,
  parsePositiveInt,
  requireDeployment,
  selectDestinations,
  withDeploymentOptions,
} from './deployment.js';

/**
 * `dlq list` and `dlq redrive`: inspect and replay the exports the export function gave up on.
 *
 * Messages in the dead-letter queue are export message envelopes (core/export-message.ts);
 * the failure detail lives in the state table under `failure#<exportId>`.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Peeking
// ---------------------------------------------------------------------------------------------

/** One message read from the dead-letter queue. */
export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly groupId: string | undefined;
  /** The export message, or `undefined` when the body is not a valid envelope. */
  readonly message: ExportMessage | undefined;
  /** Why the body could not be read, when `message` is undefined. */
  readonly unreadable?: string;
  readonly body: string;
  /** SentTimestamp of the DLQ copy (epoch ms). */
  readonly sentAt: number | undefined;
}

/** Options of {@link peekDeadLetters}. */
export interface PeekOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Stop after this many matching messages. @default 100 */
  readonly limit?: number;
  /** Only messages of this destination count toward the limit and are returned. */
  readonly destinationId?: string;
  /**
   * Seconds the peeked messages stay invisible while the queue is read, so each is seen once; they
   * are made visible again (visibility 0) as soon as the peek ends.
   * @default 30
   */
  readonly holdSeconds?: number;
  /**
   * Consecutive empty receives before the queue is taken as read to its end. Short polling (the
   * SQS emulator's long polling is unreliable, so WaitTimeSeconds is 0) may miss messages now and then.
   * @default 3
   */
  readonly emptyReceives?: number;
}

/** The result of {@link peekDeadLetters}. */
export interface PeekResult {
  readonly letters: DeadLetter[];
  /** Messages received in all (matching or not). */
  readonly scanned: number;
  /** True when the limit stopped the read before the end of the queue. */
  readonly truncated: boolean;
}

function groupBelongsTo(groupId: string | undefined, destinationId: string): boolean | undefined {
  // messageGroupIdFor() always starts the group with "<destinationId>:".
  return groupId === undefined ? undefined : groupId.startsWith(`${destinationId}:`);
}

function toDeadLetter(m: Message): DeadLetter {
  const body = m.Body ?? '';
  let message: ExportMessage | undefined;
  let unreadable: string | undefined;
  try {
    const parsed = exportMessageSchema.safeParse(JSON.parse(body));
    if (parsed.success) message = parsed.data;
    else unreadable = `not an export message: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
  } catch {
    unreadable = 'body is not JSON';
  }
  const sent = Number(m.Attributes?.SentTimestamp);
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    groupId:
      m.Attributes?.MessageGroupId ??
      (message === undefined ? undefined : messageGroupIdFor(message.destinationId, message.profileId)),
    message,
    ...(unreadable === undefined ? {} : { unreadable }),
    body,
    sentAt: Number.isFinite(sent) && sent > 0 ? sent : undefined,
  };
}

function matches(letter: DeadLetter, destinationId: string | undefined): boolean {
  if (destinationId === undefined) return true;
  return groupBelongsTo(letter.groupId, destinationId) ?? letter.message?.destinationId === destinationId;
}

/** Makes held messages visible again at once. Best effort: a failed release only delays them. */
async function release(sqs: SQSClient, queueUrl: string, handles: readonly string[]): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    const chunk = handles.slice(i, i + 10);
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      );
    } catch {
      // The hold expires by itself after holdSeconds.
    }
  }
}

/**
 * Reads messages from a dead-letter queue without consuming them: each receive holds its messages
 * for `holdSeconds` so the next receive returns others, and every held message is released
 * (visibility 0) before returning, also on error. Receiving raises a DLQ message's receive count;
 * the DLQ has no redrive policy, so that is harmless, and a message moved back to the export
 * queue starts from zero there.
 * @throws the SDK's error (after releasing what was held).
 */
export async function peekDeadLetters(options: PeekOptions): Promise<PeekResult> {
  const { sqs, queueUrl } = options;
  const limit = options.limit ?? 100;
  const hold = options.holdSeconds ?? 30;
  const maxEmpty = options.emptyReceives ?? 3;
  const held: string[] = [];
  const seen = new Set<string>();
  const letters: DeadLetter[] = [];
  let scanned = 0;
  let empty = 0;
  let truncated = false;
  try {
    while (letters.length < limit && empty < maxEmpty) {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hold,
          WaitTimeSeconds: 0,
          // The SQS emulator reads only the older AttributeNames; AWS accepts both.
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const received = response.Messages ?? [];
      if (received.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      let repeated = false;
      for (const m of received) {
        if (m.ReceiptHandle !== undefined) held.push(m.ReceiptHandle);
        const id = m.MessageId ?? '';
        if (seen.has(id)) {
          // The hold ran out while reading: the queue has been read around once.
          repeated = true;
          continue;
        }
        seen.add(id);
        scanned += 1;
        const letter = toDeadLetter(m);
        if (!matches(letter, options.destinationId)) continue;
        if (letters.length >= limit) {
          truncated = true;
          continue;
        }
        letters.push(letter);
      }
      if (repeated) break;
      if (letters.length >= limit) truncated = true;
    }
  } finally {
    await release(sqs, queueUrl, held);
  }
  return { letters, scanned, truncated };
}

// ---------------------------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------------------------

/** A `failure#<exportId>` item of the state table (docs/ARCHITECTURE.md). */
interface FailureRecord {
  readonly code?: string;
  readonly message?: string;
  readonly attempts?: number;
  readonly firstFailureAt?: number | string;
  readonly lastFailureAt?: number | string;
}

/** One row of `dlq list`. */
export interface DeadLetterRow {
  readonly messageId: string;
  readonly exportId: string | undefined;
  readonly profileId: string | undefined;
  readonly destinationId: string | undefined;
  readonly reasons: readonly string[];
  readonly profileVersion: number | undefined;
  /** The last error's code, `UNREADABLE` for a body that is not an export message, `UNKNOWN` without a failure record. */
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number | undefined;
  readonly firstFailureAt: string | undefined;
  readonly lastFailureAt: string | undefined;
  /** When the export was first queued (ISO-8601). */
  readonly queuedAt: string | undefined;
  /** The export document; only with `--show-payload` (it holds attribute values and identities). */
  readonly document?: Record<string, unknown>;
}

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions extends Omit<PeekOptions, 'sqs' | 'queueUrl'> {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly dlqUrl: string;
  readonly stateTableName: string;
  /** Include each export's document (personal data). @default false */
  readonly showPayload?: boolean;
}

/** The result of {@link listDeadLetters}. */
export interface DeadLetterListing {
  readonly rows: DeadLetterRow[];
  readonly scanned: number;
  readonly truncated: boolean;
  /** ApproximateNumberOfMessages + NotVisible of the DLQ before the peek. */
  readonly approximateDepth: number;
}

function isoTime(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return new Date(value).toISOString();
  const n = Number(value);
  return Number.isFinite(n) && /^\d+$/.test(value) ? new Date(n).toISOString() : value;
}

async function readFailures(
  dynamo: DynamoDBClient,
  tableName: string,
  exportIds: readonly string[],
): Promise<Map<string, FailureRecord>> {
  const doc = DynamoDBDocumentClient.from(dynamo);
  const found = new Map<string, FailureRecord>();
  const unique = [...new Set(exportIds)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique
      .slice(i, i + 100)
      .map((id) => ({ pk: `failure#${id}` }));
    for (let attempt = 0; keys !== undefined && keys.length > 0 && attempt < 8; attempt++) {
      if (attempt > 0) await sleep(Math.min(50 * 2 ** attempt, 1_000));
      const response: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }),
      );
      for (const item of response.Responses?.[tableName] ?? []) {
        const pk = String(item.pk);
        found.set(pk.slice('failure#'.length), item as FailureRecord);
      }
      keys = response.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return found;
}

/** Joins a dead letter with its failure record into a row; the document only when asked. */
export function toRow(
  letter: DeadLetter,
  failure: FailureRecord | undefined,
  showPayload: boolean,
): DeadLetterRow {
  const m = letter.message;
  const errorCode = m === undefined ? 'UNREADABLE' : (failure?.code ?? 'UNKNOWN');
  const errorMessage =
    m === undefined
      ? (letter.unreadable ?? 'not an export message')
      : (failure?.message ??
        'no failure record in the state table (expired, or the export function could not write it)');
  return {
    messageId: letter.messageId,
    exportId: m?.exportId,
    profileId: m?.profileId,
    destinationId: m?.destinationId ?? letter.groupId?.split(':')[0],
    reasons: m?.reasons ?? [],
    profileVersion: m?.profileVersion,
    errorCode,
    errorMessage,
    attempts: failure?.attempts,
    firstFailureAt: isoTime(failure?.firstFailureAt),
    lastFailureAt: isoTime(failure?.lastFailureAt),
    queuedAt: m === undefined ? undefined : new Date(m.queuedAt).toISOString(),
    ...(showPayload && m !== undefined ? { document: m.document } : {}),
  };
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ arn: string; depth: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    arn: Attributes?.QueueArn ?? '',
    depth:
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/**
 * Lists dead-lettered exports, joined with their `failure#<exportId>` records. Does not consume
 * the messages (see {@link peekDeadLetters}). Documents are left out unless `showPayload`.
 * @throws the SDK's error.
 */
export async function listDeadLetters(options: ListDeadLettersOptions): Promise<DeadLetterListing> {
  const { depth } = await queueDepth(options.sqs, options.dlqUrl);
  const peek = await peekDeadLetters({ ...options, queueUrl: options.dlqUrl });
  const exportIds = peek.letters.flatMap((l) => (l.message === undefined ? [] : [l.message.exportId]));
  const failures = await readFailures(options.dynamo, options.stateTableName, exportIds);
  const rows = peek.letters.map((l) =>
    toRow(
      l,
      l.message === undefined ? undefined : failures.get(l.message.exportId),
      options.showPayload ?? false,
    ),
  );
  return { rows, scanned: peek.scanned, truncated: peek.truncated, approximateDepth: depth };
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * Formats rows as an aligned text table (one row per export) followed, with `--show-payload`, by
 * each export's document. Never prints a document that is not on the row.
 */
export function formatDeadLetterTable(rows: readonly DeadLetterRow[]): string {
  const header = ['PROFILE', 'DESTINATION', 'ERROR', 'ATTEMPTS', 'FIRST FAILURE', 'LAST FAILURE', 'MESSAGE'];
  const lines = rows.map((r) => [
    clip(r.profileId ?? '?', 40),
    r.destinationId ?? '?',
    r.errorCode,
    r.attempts === undefined ? '-' : String(r.attempts),
    r.firstFailureAt ?? '-',
    r.lastFailureAt ?? '-',
    clip(r.errorMessage.replace(/\s+/g, ' '), 100),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [render(header)];
  rows.forEach((r, i) => {
    out.push(render(lines[i] as string[]));
    if (r.document !== undefined) out.push(`    payload: ${JSON.stringify(r.document)}`);
  });
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Redrive
// ---------------------------------------------------------------------------------------------

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  readonly exportQueueUrl: string;
  /** Messages per second (StartMessageMoveTask's MaxNumberOfMessagesPerSecond, 1–500). @default - SQS's own pace */
  readonly rate?: number;
  /** Count what would move; move nothing. */
  readonly dryRun?: boolean;
  /** Move only this destination's exports (see {@link moveSelected}). */
  readonly destinationId?: string;
  /** How often the move task is polled. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Called with progress as the move goes on (for stderr). */
  readonly onProgress?: (progress: { moved: number; toMove: number }) => void;
}

/** What a redrive did. */
export interface RedriveResult {
  /** `move-task`: SQS's StartMessageMoveTask; `selective`: send + delete of one destination's messages. */
  readonly mechanism: 'move-task' | 'selective';
  readonly dryRun: boolean;
  /** Messages to move (approximate for the move task: SQS counts them when the task starts). */
  readonly toMove: number;
  readonly moved: number;
  readonly failed: number;
  /** COMPLETED, FAILED, CANCELLED (move task) or COMPLETED / PARTIAL (selective). */
  readonly status: string;
  readonly failureReason?: string;
}

/** The move task is still running after the wait; the operator can follow it with `aws sqs list-message-move-tasks`. */
export class RedriveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedriveError';
  }
}

/**
 * Moves dead-lettered exports back to the export queue and waits until they are moved.
 *
 * Without a destination filter this is SQS's own redrive, `StartMessageMoveTask` (DLQ → export
 * queue), which keeps each message's group, so the export queue's FIFO order per profile holds
 * for what is moved. With `destinationId`, StartMessageMoveTask cannot filter, so the selected
 * messages are moved by {@link moveSelected}.
 *
 * Redrive never makes a consumer go back in time: every export carries the profile version it
 * reflects, and the export function skips an export whose version is older than the version the
 * delivery ledger (`delivered#<destinationId>#<profileId>`) records as delivered. An export
 * redriven after newer ones were delivered is therefore skipped, not written over them.
 * @throws UsageError when a move task is already running; the SDK's error otherwise.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  if (options.rate !== undefined && (options.rate < 1 || options.rate > 500)) {
    throw new UsageError(`--rate must be between 1 and 500 messages per second, got ${options.rate}`);
  }
  if (options.destinationId !== undefined) return moveSelected(options, options.destinationId);

  const source = await queueDepth(options.sqs, options.dlqUrl);
  if (options.dryRun === true || source.depth === 0) {
    return {
      mechanism: 'move-task',
      dryRun: options.dryRun === true,
      toMove: source.depth,
      moved: 0,
      failed: 0,
      status: source.depth === 0 ? 'EMPTY' : 'DRY_RUN',
    };
  }
  const destination = await queueDepth(options.sqs, options.exportQueueUrl);
  let taskHandle: string | undefined;
  try {
    const started = await options.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: source.arn,
        DestinationArn: destination.arn,
        ...(options.rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.rate }),
      }),
    );
    taskHandle = started.TaskHandle;
  } catch (error) {
    if (error instanceof Error && /already a task running|active task/i.test(error.message)) {
      throw new UsageError(
        `a message move task is already running on the dead-letter queue: wait for it (aws sqs list-message-move-tasks --source-arn ${source.arn}) or cancel it, then redrive again`,
        { cause: error },
      );
    }
    throw error;
  }
  const task = await waitForMoveTask(options, source.arn, taskHandle);
  const toMove = task.ApproximateNumberOfMessagesToMove ?? source.depth;
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const status = task.Status ?? 'UNKNOWN';
  return {
    mechanism: 'move-task',
    dryRun: false,
    toMove,
    moved,
    failed: status === 'COMPLETED' ? 0 : Math.max(0, toMove - moved),
    status,
    ...(task.FailureReason === undefined ? {} : { failureReason: task.FailureReason }),
  };
}

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Polls ListMessageMoveTasks until the task is finished. A running task is found by its handle;
 * SQS drops the handle once the task ends, so a finished one is found by the start time seen
 * while it ran, or — when it ended before the first poll — as the newest task of the queue (a
 * queue runs one task at a time, and this one was just started).
 */
async function waitForMoveTask(
  options: RedriveOptions,
  sourceArn: string,
  taskHandle: string | undefined,
): Promise<ListMessageMoveTasksResultEntry> {
  const interval = options.pollIntervalMs ?? 1_000;
  let startedAt: number | undefined;
  for (;;) {
    const { Results = [] } = await options.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
    );
    const running = taskHandle === undefined ? undefined : Results.find((r) => r.TaskHandle === taskHandle);
    if (running !== undefined) {
      startedAt = running.StartedTimestamp;
      options.onProgress?.({
        moved: running.ApproximateNumberOfMessagesMoved ?? 0,
        toMove: running.ApproximateNumberOfMessagesToMove ?? 0,
      });
    } else {
      const ours =
        startedAt === undefined ? Results[0] : Results.find((r) => r.StartedTimestamp === startedAt);
      if (ours !== undefined && FINISHED.has(ours.Status ?? '')) {
        options.onProgress?.({
          moved: ours.ApproximateNumberOfMessagesMoved ?? 0,
          toMove: ours.ApproximateNumberOfMessagesToMove ?? 0,
        });
        return ours;
      }
      if (ours === undefined)
        throw new RedriveError(`the message move task on ${sourceArn} is no longer listed`);
    }
    await sleep(interval);
  }
}

/** A stable deduplication id for a moved message: the same DLQ message sent twice within SQS's
 * five-minute window is accepted once, and it never collides with the original export's id. */
export function redriveDeduplicationId(dlqMessageId: string): string {
  return createHash('sha256').update(`redrive\u0000${dlqMessageId}`).digest('hex').slice(0, 40);
}

/**
 * Moves one destination's dead-lettered exports to the export queue with SendMessageBatch +
 * DeleteMessageBatch, because StartMessageMoveTask moves the whole queue.
 *
 * The other destinations' messages are held (invisible) while the queue is read and released at
 * the end, so each message is looked at once. A profile's messages are read from the FIFO DLQ in
 * group order and sent in that order with their MessageGroupId; if one fails to send, the later
 * messages of its group stay in the DLQ (counted as failed) rather than overtake it. A message is
 * deleted from the DLQ only after it was sent; a crash in between sends it again with the same
 * deduplication id, which SQS drops within five minutes and the delivery ledger makes harmless after.
 */
export async function moveSelected(options: RedriveOptions, destinationId: string): Promise<RedriveResult> {
  const { sqs, dlqUrl, exportQueueUrl } = options;
  const dryRun = options.dryRun === true;
  const held: string[] = [];
  const seen = new Set<string>();
  const blockedGroups = new Set<string>();
  let toMove = 0;
  let moved = 0;
  let failed = 0;
  let empty = 0;
  const minIntervalMs = options.rate === undefined ? 0 : 1_000 / options.rate;
  let nextSendAt = Date.now();
  try {
    while (empty < 3) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 120,
          WaitTimeSeconds: 0,
          // The SQS emulator reads only the older AttributeNames; AWS accepts both.
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      const selected: GroupedMessage[] = [];
      let repeated = false;
      for (const m of Messages) {
        const id = m.MessageId ?? '';
        if (seen.has(id)) repeated = true;
        seen.add(id);
        const letter = toDeadLetter(m);
        if (matches(letter, destinationId) && !repeated) selected.push({ ...m, groupId: letter.groupId });
        else if (m.ReceiptHandle !== undefined) held.push(m.ReceiptHandle);
      }
      toMove += selected.length;
      if (!dryRun && selected.length > 0) {
        const wait = nextSendAt - Date.now();
        if (wait > 0) await sleep(wait);
        nextSendAt = Math.max(nextSendAt, Date.now()) + selected.length * minIntervalMs;
        const result = await sendAndDelete(sqs, dlqUrl, exportQueueUrl, selected, blockedGroups);
        moved += result.moved;
        failed += result.failed;
        held.push(...result.kept);
      } else {
        held.push(...selected.flatMap((m) => (m.ReceiptHandle === undefined ? [] : [m.ReceiptHandle])));
      }
      options.onProgress?.({ moved, toMove });
      if (repeated) break;
    }
  } finally {
    await release(sqs, dlqUrl, held);
  }
  return {
    mechanism: 'selective',
    dryRun,
    toMove,
    moved,
    failed,
    status: dryRun ? 'DRY_RUN' : failed === 0 ? 'COMPLETED' : 'PARTIAL',
  };
}

/** A received message with its group (from the attributes, else from the envelope). */
type GroupedMessage = Message & { readonly groupId: string | undefined };

async function sendAndDelete(
  sqs: SQSClient,
  dlqUrl: string,
  exportQueueUrl: string,
  messages: readonly GroupedMessage[],
  blockedGroups: Set<string>,
): Promise<{ moved: number; failed: number; kept: string[] }> {
  const kept: string[] = [];
  let failed = 0;
  const sendable: GroupedMessage[] = [];
  for (const m of messages) {
    const group = m.groupId;
    if (group !== undefined && blockedGroups.has(group)) {
      failed += 1;
      if (m.ReceiptHandle !== undefined) kept.push(m.ReceiptHandle);
    } else sendable.push(m);
  }
  if (sendable.length === 0) return { moved: 0, failed, kept };
  const response = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: exportQueueUrl,
      Entries: sendable.map((m, i) => ({
        Id: String(i),
        MessageBody: m.Body ?? '',
        MessageGroupId: m.groupId,
        MessageDeduplicationId: redriveDeduplicationId(m.MessageId ?? String(i)),
      })),
    }),
  );
  const failedIds = new Set((response.Failed ?? []).map((f) => f.Id));
  const sent: Message[] = [];
  sendable.forEach((m, i) => {
    if (!failedIds.has(String(i))) {
      sent.push(m);
      return;
    }
    // Later messages of this group stay in the DLQ rather than overtake it. (One sent in this same
    // batch stays sent: if the failed one arrives after it, the delivery ledger skips it as stale.)
    failed += 1;
    const group = m.groupId;
    if (group !== undefined) blockedGroups.add(group);
    if (m.ReceiptHandle !== undefined) kept.push(m.ReceiptHandle);
  });
  if (sent.length > 0) {
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
    // A message sent but not deleted comes back to the DLQ; a second redrive sends it with the
    // same deduplication id, and the delivery ledger skips it if it was delivered meanwhile.
    for (const f of deleted.Failed ?? []) {
      const m = sent[Number(f.Id)];
      if (m?.ReceiptHandle !== undefined) kept.push(m.ReceiptHandle);
    }
  }
  return { moved: sent.length, failed, kept };
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

interface ListFlags extends DeploymentCommandOptions {
  readonly destination?: string;
  readonly limit?: string;
  readonly json?: boolean;
  readonly showPayload?: boolean;
}

interface RedriveFlags extends DeploymentCommandOptions {
  readonly destination?: string;
  readonly dryRun?: boolean;
  readonly rate?: string;
}

function checkDestinationFlag(flags: { config?: string; destination?: string }): void {
  // An unknown id is a typo, not an empty result.
  if (flags.destination !== undefined) selectDestinations(loadCommandConfig(flags.config), flags.destination);
}

/** Registers `dlq list` and `dlq redrive` on the CLI. */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description("inspect and redrive the export queue's dead-letter queue");

  withDeploymentOptions(
    dlq
      .command('list')
      .description('one row per dead-lettered export with its last error (messages are not consumed)')
      .option('--destination <id>', 'only this destination')
      .option('--limit <n>', 'at most this many rows', '100')
      .option('--json', 'JSON array instead of a table')
      .option('--show-payload', 'include each export document (attribute values and identities)'),
  ).action(async (flags: ListFlags) => {
    checkDestinationFlag(flags);
    const limit = parsePositiveInt(flags.limit ?? '100', '--limit');
    const deployment = await requireDeployment({
      need: ['dlqUrl', 'stateTableName'],
      ...(flags.stack === undefined ? {} : { stack: flags.stack }),
    });
    process.stderr.write('reading the dead-letter queue (messages stay in it)…\n');
    const listing = await listDeadLetters({
      sqs: new SQSClient({}),
      dynamo: new DynamoDBClient({}),
      dlqUrl: deployment.dlqUrl,
      stateTableName: deployment.stateTableName,
      limit,
      showPayload: flags.showPayload === true,
      ...(flags.destination === undefined ? {} : { destinationId: flags.destination }),
    });
    if (flags.json === true) process.stdout.write(`${JSON.stringify(listing.rows, null, 2)}\n`);
    else if (listing.rows.length > 0) process.stdout.write(formatDeadLetterTable(listing.rows));
    process.stderr.write(
      `${listing.rows.length} dead-lettered export(s)${flags.destination === undefined ? '' : ` of ${flags.destination}`}` +
        `${listing.truncated ? ` (limit ${limit} reached; about ${listing.approximateDepth} in the queue)` : ''}\n`,
    );
  });

  withDeploymentOptions(
    dlq
      .command('redrive')
      .description('move dead-lettered exports back to the export queue and wait until they are moved')
      .option('--destination <id>', "only this destination's exports (moved by the CLI itself)")
      .option('--dry-run', 'count what would be moved; move nothing')
      .option('--rate <n>', 'messages per second (1–500)'),
  ).action(async (flags: RedriveFlags) => {
    checkDestinationFlag(flags);
    const rate = flags.rate === undefined ? undefined : parsePositiveInt(flags.rate, '--rate');
    const deployment = await requireDeployment({
      need: ['dlqUrl', 'exportQueueUrl'],
      ...(flags.stack === undefined ? {} : { stack: flags.stack }),
    });
    let progressShown = false;
    const result = await redriveDeadLetters({
      sqs: new SQSClient({}),
      dlqUrl: deployment.dlqUrl,
      exportQueueUrl: deployment.exportQueueUrl,
      ...(rate === undefined ? {} : { rate }),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
      ...(flags.destination === undefined ? {} : { destinationId: flags.destination }),
      onProgress: ({ moved, toMove }) => {
        progressShown = true;
        process.stderr.write(`\rmoved ${moved} of ${toMove}   `);
      },
    });
    if (progressShown) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.failed > 0 || result.status === 'FAILED' || result.status === 'CANCELLED') {
      process.stderr.write(
        `redrive ${result.status.toLowerCase()}: ${result.failed} message(s) not moved${result.failureReason === undefined ? '' : ` (${result.failureReason})`}; they are still in the dead-letter queue — check \`dlq list\` and redrive again\n`,
      );
      process.exitCode = 1;
    }
  });
}
