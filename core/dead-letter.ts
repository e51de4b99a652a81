/**
 * The dead letter's own explanation: the message attributes with which the export function moves an
 * export to the dead-letter queue after its last attempt (core/export-machine.ts, the last-attempt
 * rule). `aws sqs receive-message
 * --message-attribute-names All` shows them, and `dlq list` reads them. The body stays the export
 * message as it was (core/export-message.ts), so a redrive puts it back unchanged.
 *
 * A message the queue's redrive policy moved (the function crashed or timed out on its last
 * attempt) has none of these attributes; `dlq list` then joins the state table's failure record.
 */

/** The attribute names (SQS allows ten; these are nine). */
export const DEAD_LETTER_ATTRIBUTE = {
  errorCode: 'ErrorCode',
  errorMessage: 'ErrorMessage',
  attempts: 'Attempts',
  retryable: 'Retryable',
  firstFailureAt: 'FirstFailureAt',
  lastFailureAt: 'LastFailureAt',
  destinationId: 'DestinationId',
  exportId: 'ExportId',
  movedBy: 'MovedBy',
} as const;

/** The value of {@link DEAD_LETTER_ATTRIBUTE}.movedBy on a message the export function moved. */
export const MOVED_BY_EXPORT_FUNCTION = 'export-function';

/** The longest error message kept in an attribute (and in the state table's failure record). */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;

/** Why an export was dead-lettered. */
export interface DeadLetterReason {
  readonly errorCode: string;
  readonly errorMessage: string;
  /**
   * Real put attempts of this life of the message (the export function counts them in its failure
   * record): 3 after the last attempt, 1 for a failure retrying cannot mend; `undefined` when the
   * count could not be read (the state table was unavailable), and the attribute is then left out.
   */
  readonly attempts: number | undefined;
  /**
   * False when trying again cannot help (a record Kinesis refuses, a body that is not an export
   * message): a redrive puts it back only to have it dead-lettered again at once. Absent on a dead
   * letter moved by the queue's redrive policy or by older code, which reads as true.
   */
  readonly retryable: boolean;
  /** Epoch ms. */
  readonly firstFailureAt: number;
  /** Epoch ms. */
  readonly lastFailureAt: number;
  /** `undefined` for a message that is not an export message. */
  readonly destinationId: string | undefined;
  readonly exportId: string | undefined;
}

/** An SQS message attribute as SendMessage takes it. */
export interface AttributeValue {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

/**
 * Characters SQS accepts in a message attribute value (XML 1.0's: tab, line feed, carriage return,
 * U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF); anything else becomes U+FFFD.
 */
function sqsSafe(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/** The message attributes of a dead letter (empty texts are left out: SQS refuses them). */
export function deadLetterAttributes(reason: DeadLetterReason): Record<string, AttributeValue> {
  const text = (value: string | undefined): AttributeValue | undefined =>
    value === undefined || value.length === 0
      ? undefined
      : { DataType: 'String', StringValue: sqsSafe(value) };
  const entries: [string, AttributeValue | undefined][] = [
    [DEAD_LETTER_ATTRIBUTE.errorCode, text(reason.errorCode)],
    [DEAD_LETTER_ATTRIBUTE.errorMessage, text(reason.errorMessage.slice(0, MAX_ERROR_MESSAGE_CHARS))],
    [
      DEAD_LETTER_ATTRIBUTE.attempts,
      reason.attempts === undefined
        ? undefined
        : { DataType: 'Number', StringValue: String(reason.attempts) },
    ],
    [DEAD_LETTER_ATTRIBUTE.retryable, text(String(reason.retryable))],
    [DEAD_LETTER_ATTRIBUTE.firstFailureAt, text(new Date(reason.firstFailureAt).toISOString())],
    [DEAD_LETTER_ATTRIBUTE.lastFailureAt, text(new Date(reason.lastFailureAt).toISOString())],
    [DEAD_LETTER_ATTRIBUTE.destinationId, text(reason.destinationId)],
    [DEAD_LETTER_ATTRIBUTE.exportId, text(reason.exportId)],
    [DEAD_LETTER_ATTRIBUTE.movedBy, text(MOVED_BY_EXPORT_FUNCTION)],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, AttributeValue] => e[1] !== undefined));
}

/**
 * Reads the reason back from a received message's attributes (`{ Name: { StringValue } }`, as
 * ReceiveMessage and the Lambda event both give them, the latter as `stringValue`). `undefined` when
 * the message carries no error code (moved by the queue's redrive policy, not by the function).
 */
export function readDeadLetterReason(
  attributes:
    | Readonly<Record<string, { StringValue?: string; stringValue?: string } | undefined>>
    | undefined,
): DeadLetterReason | undefined {
  const value = (name: string) => {
    const a = attributes?.[name];
    return a?.StringValue ?? a?.stringValue;
  };
  const errorCode = value(DEAD_LETTER_ATTRIBUTE.errorCode);
  if (errorCode === undefined) return undefined;
  const time = (name: string) => {
    const parsed = Date.parse(value(name) ?? '');
    return Number.isFinite(parsed) ? parsed : 0;
  };
  const attempts = Number(value(DEAD_LETTER_ATTRIBUTE.attempts) ?? Number.NaN);
  return {
    errorCode,
    errorMessage: value(DEAD_LETTER_ATTRIBUTE.errorMessage) ?? '',
    attempts: Number.isFinite(attempts) ? attempts : undefined,
    retryable: value(DEAD_LETTER_ATTRIBUTE.retryable) !== 'false',
    firstFailureAt: time(DEAD_LETTER_ATTRIBUTE.firstFailureAt),
    lastFailureAt: time(DEAD_LETTER_ATTRIBUTE.lastFailureAt),
    destinationId: value(DEAD_LETTER_ATTRIBUTE.destinationId),
    exportId: value(DEAD_LETTER_ATTRIBUTE.exportId),
  };
}
