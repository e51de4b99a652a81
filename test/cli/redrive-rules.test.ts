/** The pure rules of `dlq redrive`: the ledger, the queue pairing, the stream verdict, the plan's summary. */
import { describe, expect, it } from 'vitest';
import { emptyLedgerRefusal, judgeLedger, type SampledExport } from '../../cli/dlq/ledger-rule.js';
import { listingSummary } from '../../cli/dlq/listing.js';
import { pairingProblem } from '../../cli/dlq/pairing.js';
import { brokenStreamsRefusal, describePlan } from '../../cli/dlq/redrive-checks.js';
import type { RedrivePlan } from '../../cli/dlq/redrive-types.js';
import { streamCheckOf } from '../../cli/dlq/stream-check.js';

const sample = (...queuedAt: number[]): SampledExport[] =>
  queuedAt.map((t, i) => ({ exportId: `e${i}`, queuedAt: t }));

describe('judgeLedger()', () => {
  it('knows exports whose failure records the table holds', () => {
    const judgement = judgeLedger({
      sampled: sample(100, 200),
      recorded: new Set(['e0', 'e1']),
      tableCreatedAt: 50,
    });

    expect(judgement).toMatchObject({ verdict: 'known', sampled: 2, recorded: 2, predating: 0 });
  });

  it('refuses a table created after dead letters it has no failure record of (a destroy and a redeploy)', () => {
    const judgement = judgeLedger({ sampled: sample(100, 200), recorded: new Set(), tableCreatedAt: 1_000 });

    expect(judgement).toMatchObject({ verdict: 'unknown', predating: 2 });
    expect(judgement.reason).toBe(
      '2 of 2 sampled dead letters were queued before the state table was created (1970-01-01T00:00:01.000Z) and it holds no failure record of them',
    );
  });

  it('refuses when one sampled dead letter predates the table without a record, even if others have one', () => {
    expect(
      judgeLedger({ sampled: sample(100, 2_000), recorded: new Set(['e1']), tableCreatedAt: 1_000 }).verdict,
    ).toBe('unknown');
  });

  it('passes dead letters without failure records in a table older than them (the state table was unreachable)', () => {
    const judgement = judgeLedger({
      sampled: sample(2_000, 3_000),
      recorded: new Set(),
      tableCreatedAt: 1_000,
    });

    expect(judgement).toMatchObject({ verdict: 'known', recorded: 0, predating: 0 });
  });

  it('without the creation time, refuses only when no sampled dead letter has a failure record', () => {
    expect(
      judgeLedger({ sampled: sample(1, 2), recorded: new Set(), tableCreatedAt: undefined }).verdict,
    ).toBe('unknown');
    expect(
      judgeLedger({ sampled: sample(1, 2), recorded: new Set(['e1']), tableCreatedAt: undefined }).verdict,
    ).toBe('known');
  });

  it('has nothing to judge without export messages', () => {
    expect(judgeLedger({ sampled: [], recorded: new Set(), tableCreatedAt: 1 }).verdict).toBe(
      'nothing-to-judge',
    );
  });
});

describe('emptyLedgerRefusal()', () => {
  it('names the table, the danger and the two ways out', () => {
    const message = emptyLedgerRefusal(
      judgeLedger({ sampled: sample(1), recorded: new Set(), tableCreatedAt: 5 }),
      'Prod-State',
    );

    expect(message).toMatch(/^refusing to redrive: state table "Prod-State" is not the delivery ledger/);
    expect(message).toContain('older exports would overwrite newer ones already delivered');
    expect(message).toContain('existingStateTable');
    expect(message).toContain('`cdk import`');
    expect(message).toContain('backfill --destination ID');
    expect(message).toContain('Nothing was moved');
  });
});

describe('pairingProblem()', () => {
  const dlqArn = 'arn:aws:sqs:us-east-1:1:a-dlq.fifo';
  const exportQueueArn = 'arn:aws:sqs:us-east-1:1:b-export.fifo';

  it('accepts the export queue whose redrive policy targets the DLQ', () => {
    expect(pairingProblem({ dlqArn, exportQueueArn, deadLetterTargetArn: dlqArn })).toBeUndefined();
  });

  it("names both ARNs and the export queue's own target when they differ", () => {
    expect(
      pairingProblem({ dlqArn, exportQueueArn, deadLetterTargetArn: 'arn:aws:sqs:us-east-1:1:b-dlq.fifo' }),
    ).toBe(
      `the dead-letter queue ${dlqArn} is not the export queue's: export queue ${exportQueueArn} dead-letters into arn:aws:sqs:us-east-1:1:b-dlq.fifo`,
    );
  });

  it('refuses an export queue without a redrive policy', () => {
    expect(pairingProblem({ dlqArn, exportQueueArn, deadLetterTargetArn: undefined })).toMatch(
      /has no redrive policy/,
    );
  });
});

describe('streamCheckOf()', () => {
  const report = (checks: { check: string; status: string; message: string }[]) =>
    ({ streamName: 's', ok: false, checks }) as Parameters<typeof streamCheckOf>[1];

  it('is broken when the stream is missing or not writable', () => {
    expect(
      streamCheckOf(
        'marketing',
        report([
          { check: 'list-streams', status: 'passed', message: '' },
          { check: 'stream-exists', status: 'failed', message: 'stream "s" is not among the streams' },
        ]),
      ),
    ).toMatchObject({ state: 'broken', detail: 'stream "s" is not among the streams' });
    expect(
      streamCheckOf(
        'marketing',
        report([{ check: 'stream-active', status: 'failed', message: 'stream "s" is DELETING' }]),
      ).state,
    ).toBe('broken');
  });

  it('is unchecked when the credentials may not list streams or the status is unknown', () => {
    expect(
      streamCheckOf('m', report([{ check: 'list-streams', status: 'failed', message: 'AccessDenied' }]))
        .state,
    ).toBe('unchecked');
    expect(
      streamCheckOf('m', report([{ check: 'stream-active', status: 'skipped', message: 'not checked' }]))
        .state,
    ).toBe('unchecked');
  });

  it('is ok when every check passed', () => {
    expect(
      streamCheckOf('m', report([{ check: 'stream-active', status: 'passed', message: '' }])).state,
    ).toBe('ok');
  });
});

describe('brokenStreamsRefusal()', () => {
  it('names each broken destination and says nothing moved', () => {
    expect(
      brokenStreamsRefusal([
        { destinationId: 'marketing', streamName: 's', state: 'broken', detail: 'stream "s" is missing' },
        { destinationId: 'analytics', streamName: 't', state: 'unchecked', detail: 'AccessDenied' },
      ]),
    ).toMatch(/^refusing to redrive: destination "marketing": stream "s" is missing\. Nothing was moved/);
    expect(
      brokenStreamsRefusal([{ destinationId: 'a', streamName: 's', state: 'ok', detail: '' }]),
    ).toBeUndefined();
  });
});

describe('describePlan()', () => {
  it('echoes both ARNs, the counts, what stays behind and what is in flight', () => {
    const plan: RedrivePlan = {
      dlqArn: 'arn:dlq',
      exportQueueArn: 'arn:export',
      read: 13,
      inFlight: 10,
      selectedByDestination: new Map([
        ['marketing', 10],
        ['analytics', 2],
      ]),
      selected: 12,
      skippedNonRetryable: new Map([['InvalidRecord', 1]]),
      sample: [],
      mechanism: 'selective',
    };

    expect(describePlan(plan)).toEqual([
      'from dead-letter queue arn:dlq',
      'into export queue      arn:export',
      '12 dead letter(s) to move (10 of marketing, 2 of analytics), by send + delete in group order',
      '1 left in the DLQ, not retryable (1 InvalidRecord): retrying cannot help them (a record Kinesis refuses, a body that is not an export); --include-non-retryable moves them too',
      '10 more in flight (being received by another reader or in a redrive): not read, not moved',
    ]);
  });
});

describe('listingSummary()', () => {
  it('says how many more are in flight', () => {
    const listing = {
      rows: new Array(12).fill({}),
      scanned: 12,
      truncated: false,
      approximateDepth: 22,
      inFlight: 10,
    };

    expect(listingSummary(listing, undefined, 100)).toBe(
      '12 dead-lettered export(s) listed, 10 more in flight (being received by another reader or in a redrive; not listed)',
    );
    expect(listingSummary({ ...listing, inFlight: 0 }, 'marketing', 100)).toBe(
      '12 dead-lettered export(s) of marketing listed',
    );
  });
});
