/** `dlq list`'s text table. */
import { stringifyExact } from '../../core/json-text.js';
import { textColumns } from '../text-table.js';
import type { DeadLetterRow } from './listing.js';

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * Formats rows as an aligned text table (one row per export) followed, with `--show-payload`, by
 * each export's document. Never prints a document that is not on the row.
 */
export function formatDeadLetterTable(rows: readonly DeadLetterRow[]): string {
  const header = [
    'PROFILE',
    'DESTINATION',
    'ERROR',
    'ATTEMPTS',
    'FIRST FAILURE',
    'LAST FAILURE',
    'MOVED BY',
    'MESSAGE',
  ];
  const lines = rows.map((r) => [
    clip(r.profileId ?? '?', 40),
    r.destinationId ?? '?',
    r.errorCode,
    r.attempts === undefined ? '-' : String(r.attempts),
    r.firstFailureAt ?? '-',
    r.lastFailureAt ?? '-',
    r.movedBy,
    clip(r.errorMessage.replace(/\s+/g, ' '), 100),
  ]);
  const { render } = textColumns(header, lines);
  const out = [render(header)];
  rows.forEach((r, i) => {
    out.push(render(lines[i] as string[]));
    if (r.document !== undefined) out.push(`    payload: ${stringifyExact(r.document)}`);
  });
  return `${out.join('\n')}\n`;
}
