/**
 * `dlq list`'s data: dead letters joined with their `failure#<exportId>` records of the state table
 * into one row per export.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ExportMessage, exportDocumentOf } from '../../core/export-message.js';
import { type DeadLetter, type PeekOptions, peekDeadLetters } from './peek.js';
import { queueDepth, sleep } from './queue.js';

/** A `failure#<exportId>` item of the state table (docs/ARCHITECTURE.md). */
export interface FailureRecord {
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
  /**
   * Who moved it to the DLQ: the export function on its last attempt (the failure is attached to the
   * message), or the queue's redrive policy (the function crashed or timed out on its last attempt,
   * or could not move it: the failure comes from the state table, if recorded).
   */
  readonly movedBy: 'function' | 'queue';
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

/** The document of a dead letter, numbers exact; a text that is not JSON is shown as text. */
function documentOf(message: ExportMessage): Record<string, unknown> {
  try {
    return exportDocumentOf(message);
  } catch {
    return { unreadableDocumentJson: message.documentJson };
  }
}

/**
 * A dead letter as a row: the failure attached to the message when the export function moved it,
 * else its failure record (moved by the queue's redrive policy); the document only when asked.
 */
export function toRow(
  letter: DeadLetter,
  record: FailureRecord | undefined,
  showPayload: boolean,
): DeadLetterRow {
  const m = letter.message;
  const attached = letter.reason;
  const failure: FailureRecord | undefined =
    attached === undefined
      ? record
      : {
          code: attached.errorCode,
          message: attached.errorMessage,
          attempts: attached.attempts,
          firstFailureAt: attached.firstFailureAt,
          lastFailureAt: attached.lastFailureAt,
        };
  const errorCode = failure?.code ?? (m === undefined ? 'UNREADABLE' : 'UNKNOWN');
  const errorMessage =
    failure?.message ??
    (m === undefined
      ? (letter.unreadable ?? 'not an export message')
      : 'moved by the queue itself, and no failure record in the state table (expired, or the export function could not write it: it crashed or timed out on its last attempt)');
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
    movedBy: attached === undefined ? 'queue' : 'function',
    ...(showPayload && m !== undefined ? { document: documentOf(m) } : {}),
  };
}

/**
 * Lists dead-lettered exports with their failure: the message attributes the export function
 * attached (core/dead-letter.ts), or, for a message the queue's redrive policy moved, its
 * `failure#<exportId>` record. Does not consume the messages (see {@link peekDeadLetters}).
 * Documents are left out unless `showPayload`.
 * @throws the SDK's error.
 */
export async function listDeadLetters(options: ListDeadLettersOptions): Promise<DeadLetterListing> {
  const { depth } = await queueDepth(options.sqs, options.dlqUrl);
  const peek = await peekDeadLetters({ ...options, queueUrl: options.dlqUrl });
  // A message the export function moved carries its failure; the others are joined with the table.
  const exportIds = peek.letters.flatMap((l) =>
    l.message === undefined || l.reason !== undefined ? [] : [l.message.exportId],
  );
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
