/**
 * The one list of AWS prices (us-east-1 list prices, each with its source): `plan`'s monthly cost
 * (`cost.ts`), the backfill's read cost (`backfill.ts`) and the benchmarks' cost per million exports
 * (`bench/cost.ts`) all read it. This machine has no internet access: the prices were checked against
 * stored copies of the pricing pages and of dated secondary sources (BENCHMARKS.md, section 5, says
 * which); the Kinesis dollar amounts and the alarm price are the long-standing list prices,
 * unverified here. Check them before quoting.
 */

/** A list price and where it comes from. */
export interface ListPrice {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
}

/** us-east-1 list prices. */
export const AWS_PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second, Arm (first 7.5 billion GB-s/month)',
    source:
      'aws.amazon.com/lambda/pricing (Arm tier 1), as quoted by AWS Compute Blog "Introducing tiered pricing for AWS Lambda"',
  },
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'request', source: 'aws.amazon.com/lambda/pricing' },
  sqsFifoRequest: {
    usd: 0.5 / 1e6,
    unit: 'FIFO request (each 64 KB chunk of a request/response payload is one request)',
    source: 'aws.amazon.com/sqs/pricing',
  },
  sqsStandardRequest: {
    usd: 0.4 / 1e6,
    unit: 'standard-queue request (per 64 KB chunk), first 100 billion/month',
    source: 'aws.amazon.com/sqs/pricing',
  },
  kinesisPutPayloadUnit: {
    usd: 0.014 / 1e6,
    unit: 'PUT payload unit (25 KB chunk of a record), provisioned mode',
    source: 'aws.amazon.com/kinesis/data-streams/pricing (provisioned)',
  },
  kinesisShardHour: {
    usd: 0.015,
    unit: 'shard-hour (1 MB/s or 1,000 records/s in), provisioned mode',
    source: 'aws.amazon.com/kinesis/data-streams/pricing (provisioned)',
  },
  kinesisOnDemandGbIn: {
    usd: 0.08,
    unit: 'GB written, on-demand mode (each record rounded up to 1 KB)',
    source: 'aws.amazon.com/kinesis/data-streams/pricing (on-demand)',
  },
  kinesisOnDemandStreamHour: {
    usd: 0.04,
    unit: 'stream-hour, on-demand mode (fixed, not per export)',
    source: 'aws.amazon.com/kinesis/data-streams/pricing (on-demand)',
  },
  dynamodbStreamsReadByLambda: {
    usd: 0,
    unit: 'GetRecords by a Lambda trigger',
    source:
      'DynamoDB developer guide, "Evaluate your DynamoDB streams usage": read requests made by Lambda-based consumers are free',
  },
  dynamodbReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: 'read request unit (4 KB strongly or 2 × 4 KB eventually consistent), on-demand',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand (airbyte.com, 2025-07-21)',
  },
  dynamodbWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: 'write request unit (1 KB), on-demand (after the Nov 2024 price cut)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand (airbyte.com, 2025-07-21)',
  },
  cloudwatchLogsIngestionGb: {
    usd: 0.5,
    unit: 'GB of log data ingested, Standard class (Lambda logs: first tier of the May 2025 tiered price)',
    source:
      'aws.amazon.com/cloudwatch/pricing, as quoted by duckbillgroup.com on the May 2025 Lambda log tiers (first tier = the former flat $0.50/GB); factualminds.com (2026-06-13)',
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
  xrayTraceRecorded: {
    usd: 5 / 1e6,
    unit: 'trace recorded (the default sampling rule records the first request each second and 5% of the rest)',
    source: 'aws.amazon.com/xray/pricing ($5.00 per million traces recorded)',
  },
} as const satisfies Record<string, ListPrice>;

/** Where and when the prices were taken. */
export const PRICES_AS_OF =
  'us-east-1 list prices of 2025 and dated third-party pages (2026); checked 2026-11-29/30 against stored copies only (see BENCHMARKS.md)';

/** Hours in the month `plan` prices (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
