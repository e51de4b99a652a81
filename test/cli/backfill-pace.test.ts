import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { BACKFILL_DEFAULT_PACE, rcuHelp, reexportQuestion } from '../../cli/backfill.js';
import { describeProfileTable } from '../../lambdas/backfill/profile-scan.js';

const dynamoMock = mockClient(DynamoDBClient);

describe('rcuHelp()', () => {
  it('documents the pace a backfill of a new on-demand table runs at and prints', async () => {
    dynamoMock.on(DescribeTableCommand).resolves({
      Table: { BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' }, ItemCount: 10 },
    });

    const facts = await describeProfileTable(new DynamoDBClient({ region: 'us-east-1' }), 'profiles', {});

    expect(facts.readUnitsPerSecond).toBe(BACKFILL_DEFAULT_PACE.onDemandReadUnitsPerSecond);
    expect(rcuHelp()).toContain(
      `${BACKFILL_DEFAULT_PACE.onDemandReadUnitsPerSecond.toLocaleString('en-US')} for a new on-demand table`,
    );
    expect(rcuHelp()).toContain(
      `${BACKFILL_DEFAULT_PACE.share * 100}% of a provisioned table's read capacity`,
    );
  });
});

describe('reexportQuestion()', () => {
  it('names the segments, their runs and how many were exported before', () => {
    expect(
      reexportQuestion(
        'marketing',
        [{ segmentId: 's1', runId: 'deploy-1', completedAt: 0 }],
        1_000,
        undefined,
      ),
    ).toBe(
      '1 segment(s) of "marketing" were backfilled already — s1 (run deploy-1, 1970-01-01T00:00:00.000Z): this backfill exports every current member of them again, which the destination has received (the profile table holds about 1000 profiles). Re-export them?',
    );
  });
});
