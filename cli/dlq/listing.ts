/**
 * `dlq list`'s data: dead letters joined with their failure records of the state table
 * (core/state-records.ts) into one row per export.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { StateTable } from '../../adapters/state-table.js';
import { type ExportMessage, exportDocumentOf } from '../../core/export-message.js';
import type { FailureRecordResult } from '../../core/state-records.js';
import { type DeadLetter, type PeekOptions, peekDeadLetters } from './peek.js';
import { queueCounts } from './queue.js';

/** The failure a row shows: attached to the message, or its record in the state table. */
interface RowFailure {
  readonly code: string;
  readonly message: string;
  readonly attempts: number | undefined;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
}

/** One row of `dlq list`. */
export interface DeadLetterRow {
  readonly messageId: string;
  readonly exportId: string | undefined;
  readonly profileId: string | undefined;
  readonly destinationId: string | undefined;
  readonly reasons: readonly string[];
  readonly profileVersion: number | undefined;
  /**
   * The last error's code, `UNREADABLE` for a body that is not an export message, `UNKNOWN` without a
   * failure record or with one that does not parse (the message then says what is wrong with it).
   */
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
  /**
   * ApproximateNumberOfMessagesNotVisible before the peek: messages another reader (a `dlq` command,
   * a redrive) holds, which the peek cannot see.
   */
  readonly inFlight: number;
}

const isoTime = (epochMs: number | undefined) =>
  epochMs === undefined ? undefined : new Date(epochMs).toISOString();

const NO_RECORD =
  'moved by the queue itself, and no failure record in the state table (expired, or the export function could not write it: it crashed or timed out on its last attempt)';

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
  record: FailureRecordResult | undefined,
  showPayload: boolean,
): DeadLetterRow {
  const m = letter.message;
  const attached = letter.reason;
  const failure: RowFailure | undefined =
    attached === undefined
      ? record?.ok === true
        ? record.record
        : undefined
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
      : record?.ok === false
        ? `moved by the queue itself; ${record.problem}`
        : NO_RECORD);
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
 * attached (core/dead-letter.ts), or, for a message the queue's redrive policy moved, its failure
 * record in the state table. Does not consume the messages (see {@link peekDeadLetters}).
 * Documents are left out unless `showPayload`.
 * @throws the SDK's error.
 */
export async function listDeadLetters(options: ListDeadLettersOptions): Promise<DeadLetterListing> {
  const { depth, inFlight } = await queueCounts(options.sqs, options.dlqUrl);
  const peek = await peekDeadLetters({ ...options, queueUrl: options.dlqUrl });
  // A message the export function moved carries its failure; the others are joined with the table.
  const exportIds = peek.letters.flatMap((l) =>
    l.message === undefined || l.reason !== undefined ? [] : [l.message.exportId],
  );
  const failures = await new StateTable({
    client: options.dynamo,
    tableName: options.stateTableName,
  }).failureRecords(exportIds);
  const rows = peek.letters.map((l) =>
    toRow(
      l,
      l.message === undefined ? undefined : failures.get(l.message.exportId),
      options.showPayload ?? false,
    ),
  );
  return { rows, scanned: peek.scanned, truncated: peek.truncated, approximateDepth: depth, inFlight };
}

/**
 * The count line of `dlq list` (stderr): how many were listed, and how many more the queue holds in
 * flight, which a listing cannot see (pure).
 */
export function listingSummary(
  listing: DeadLetterListing,
  destinationId: string | undefined,
  limit: number,
): string {
  const of = destinationId === undefined ? '' : ` of ${destinationId}`;
  const limited = listing.truncated
    ? ` (limit ${limit} reached; about ${listing.approximateDepth} in the queue)`
    : '';
  const inFlight =
    listing.inFlight === 0
      ? ''
      : `, ${listing.inFlight} more in flight (being received by another reader or in a redrive; not listed${destinationId === undefined ? '' : ', of any destination'})`;
  return `${listing.rows.length} dead-lettered export(s)${of} listed${limited}${inFlight}`;
}
