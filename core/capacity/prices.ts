/**
 * us-east-1 list prices for `plan`'s monthly cost. The per-request prices are the ones
 * `bench/cost.ts` cites (same figures, same sources); the CloudWatch ones are third-party, dated.
 * None was re-read from an AWS pricing page: the stored copies of those pages hold their prose but
 * not their price tables (see /work/wt/notes/aws-facts.md, B). Check them before quoting.
 */

/** A list price and where it comes from. */
export interface ListPrice {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
}

/** The prices `plan` uses. */
export const PLAN_PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second, Arm (first 7.5 billion GB-s/month)',
    source: 'aws.amazon.com/lambda/pricing, as cited by bench/cost.ts',
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: 'request',
    source: 'aws.amazon.com/lambda/pricing, as cited by bench/cost.ts',
  },
  sqsFifoRequest: {
    usd: 0.5 / 1e6,
    unit: 'FIFO request (each 64 KB chunk of a payload is one request)',
    source: 'aws.amazon.com/sqs/pricing, as cited by bench/cost.ts',
  },
  kinesisOnDemandGbIn: {
    usd: 0.08,
    unit: 'GB written, on-demand (each record rounded up to 1 KB)',
    source: 'aws.amazon.com/kinesis/data-streams/pricing, as cited by bench/cost.ts',
  },
  kinesisOnDemandStreamHour: {
    usd: 0.04,
    unit: 'stream-hour, on-demand',
    source: 'aws.amazon.com/kinesis/data-streams/pricing, as cited by bench/cost.ts',
  },
  kinesisShardHour: {
    usd: 0.015,
    unit: 'shard-hour, provisioned',
    source: 'aws.amazon.com/kinesis/data-streams/pricing, as cited by bench/cost.ts',
  },
  kinesisPutPayloadUnit: {
    usd: 0.014 / 1e6,
    unit: 'PUT payload unit (25 KB of a record), provisioned',
    source: 'aws.amazon.com/kinesis/data-streams/pricing, as cited by bench/cost.ts',
  },
  dynamodbReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: 'read request unit, on-demand',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand, as cited by bench/cost.ts (airbyte.com, 2025-07-21)',
  },
  dynamodbWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: 'write request unit, on-demand',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand, as cited by bench/cost.ts (airbyte.com, 2025-07-21)',
  },
  cloudwatchLogsGbIngested: {
    usd: 0.5,
    unit: 'GB of logs ingested (standard class)',
    source: 'third-party: factualminds.com (2026-06-13); not read from an AWS page',
  },
  cloudwatchMetricMonth: {
    usd: 0.3,
    unit: 'custom metric per month (first 10,000)',
    source: 'third-party: signoz.io (2026-02-15); not read from an AWS page',
  },
  cloudwatchAlarmMonth: {
    usd: 0.1,
    unit: 'standard-resolution alarm per month',
    source: 'not found in any stored source: the long-standing list price, unverified',
  },
} as const satisfies Record<string, ListPrice>;

/** Where and when the prices were taken. */
export const PLAN_PRICES_AS_OF =
  'us-east-1 list prices as cited in bench/cost.ts (2025) and dated third-party pages (2026); checked 2026-11-30 against stored copies only';

/** Hours in the month `plan` prices (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
