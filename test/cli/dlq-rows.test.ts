import { describe, expect, it } from 'vitest';
import { toRow } from '../../cli/dlq/listing.js';
import type { DeadLetter } from '../../cli/dlq/peek.js';
import { buildExportMessage } from '../../core/export-message.js';
import { failureKey, parseFailureRecord } from '../../core/state-records.js';

const AT = 1_700_000_001_000;

/** A dead letter the queue's redrive policy moved (no failure attached), built by the production builder. */
function movedByQueue(): DeadLetter {
  const { message, body, groupId } = buildExportMessage(
    {
      destinationId: 'marketing',
      export: true,
      reasons: [{ code: 'mapped-attribute', message: 'mapped attribute written' }],
      document: {},
      documentJson: '{}',
      documentBytes: 2,
      profileVersion: 0,
    },
    { sourceEventId: 'event-1', profileId: 'p-1', sourceTime: AT, queuedAt: AT },
  );
  return { messageId: 'm1', receiptHandle: 'h1', groupId, message, body, sentAt: AT, reason: undefined };
}

describe('toRow()', () => {
  it('shows a failure record that parses, with its times as ISO-8601', () => {
    const record = parseFailureRecord({
      pk: failureKey('e1'),
      destinationId: 'marketing',
      profileId: 'p-1',
      code: 'InternalFailure',
      message: 'boom',
      attempts: 3,
      firstFailureAt: AT,
      lastFailureAt: AT + 60_000,
    });

    expect(toRow(movedByQueue(), record, false)).toMatchObject({
      errorCode: 'InternalFailure',
      attempts: 3,
      firstFailureAt: '2023-11-14T22:13:21.000Z',
      lastFailureAt: '2023-11-14T22:14:21.000Z',
      movedBy: 'queue',
    });
  });

  it('says what is wrong with a failure record that does not parse, instead of showing its fields', () => {
    const record = parseFailureRecord({ pk: failureKey('e1'), code: 'InternalFailure', attempts: 'three' });

    const row = toRow(movedByQueue(), record, false);

    expect(row.errorCode).toBe('UNKNOWN');
    expect(row.attempts).toBeUndefined();
    expect(row.errorMessage).toMatch(
      /^moved by the queue itself; failure record failure#e1 is malformed: .*attempts/,
    );
  });

  it('says there is no record when the state table has none', () => {
    expect(toRow(movedByQueue(), undefined, false).errorMessage).toMatch(
      /no failure record in the state table/,
    );
  });
});
