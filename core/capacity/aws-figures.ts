/**
 * Every AWS figure the capacity model uses, with where it was read. BENCHMARKS.md ("At the page's
 * envelope") lists the same table; `test/unit/capacity/aws-figures.test.ts` holds the two together.
 *
 * Read from stored copies of the pages on 2026-11-30 (this machine has no internet access); AWS pages
 * carry no date of their own unless one is given. A figure marked `thirdParty` is not stated by AWS
 * and is labelled so wherever it is shown.
 */

/** One sourced figure. */
export interface AwsFigure {
  readonly value: number;
  readonly unit: string;
  /** Page title and address. */
  readonly source: string;
  /** True when only a third-party source states it. */
  readonly thirdParty?: boolean;
}

const LAMBDA_DDB =
  'AWS Lambda DG, "Using AWS Lambda with Amazon DynamoDB", docs.aws.amazon.com/lambda/latest/dg/with-ddb.html';
const LAMBDA_DDB_PARAMS =
  'AWS Lambda DG, "Lambda parameters for Amazon DynamoDB event source mappings", docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html';
const LAMBDA_SQS_PARAMS =
  'AWS Lambda DG, "Lambda parameters for Amazon SQS event source mappings", docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html';
const KINESIS_STREAMS =
  'Kinesis Data Streams DG, "Create and manage Kinesis data streams", docs.aws.amazon.com/streams/latest/dev/working-with-streams.html';
const KINESIS_QUOTAS =
  'Kinesis Data Streams DG, "Quotas and limits", docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html';

/** The figures, by name. */
export const AWS_FIGURES = {
  streamPollsPerSecond: {
    value: 4,
    unit: 'GetRecords polls per second per shard (base rate)',
    source: LAMBDA_DDB,
  },
  maxParallelizationFactor: {
    value: 10,
    unit: 'concurrent batches per shard; order kept per item (partition + sort key)',
    source: LAMBDA_DDB,
  },
  maxStreamBatchSize: {
    value: 10_000,
    unit: 'records per DynamoDB Streams batch',
    source: LAMBDA_DDB_PARAMS,
  },
  partitionWriteUnits: {
    value: 1_000,
    unit: 'write request units per second per table partition',
    source:
      'AWS re:Post Knowledge Center, "on-demand-table-throttling-dynamodb", repost.aws/knowledge-center/on-demand-table-throttling-dynamodb',
  },
  tableWriteQuota: {
    value: 40_000,
    unit: 'write request units per second per on-demand table (default quota, adjustable)',
    source:
      'DynamoDB DG, "DynamoDB maximum throughput for on-demand tables", docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
  },
  tableReadQuota: {
    value: 40_000,
    unit: 'read request units per second per on-demand table (default quota, adjustable)',
    source:
      'DynamoDB DG, "DynamoDB maximum throughput for on-demand tables", docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
  },
  newOnDemandReadUnits: {
    value: 12_000,
    unit: 'read request units per second a new on-demand table sustains at once',
    source:
      'DynamoDB DG, "Pre-warming a table for on-demand capacity mode", docs.amazonaws.cn/en_us/amazondynamodb/latest/developerguide/ (pre-warming page)',
  },
  readUnitBytes: {
    value: 4_096,
    unit: 'bytes per read unit (strongly consistent; eventually consistent reads cost half)',
    source:
      'DynamoDB DG, "DynamoDB read and write operations", docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html',
  },
  scanPageBytes: {
    value: 1_048_576,
    unit: 'bytes read by one Scan call at most (1 MB; Scan is charged on the cumulative size read)',
    source:
      'DynamoDB API Reference, "Scan", docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html; cumulative size: F. Pachot, "DynamoDB Scan (and why 128.5 RCU?)", dbi-services.com (third-party)',
  },
  fifoBatchSize: { value: 10, unit: 'messages per batch of a FIFO event source', source: LAMBDA_SQS_PARAMS },
  minMaxConcurrency: {
    value: 2,
    unit: 'smallest ScalingConfig.MaximumConcurrency',
    source:
      'AWS Lambda API Reference, "ScalingConfig", docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html',
  },
  maxMaxConcurrency: {
    value: 1_000,
    unit: 'largest ScalingConfig.MaximumConcurrency',
    source:
      'AWS Lambda API Reference, "ScalingConfig", docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html',
  },
  accountConcurrency: {
    value: 1_000,
    unit: 'concurrent executions per account and Region (default quota)',
    source: 'AWS Lambda DG, "Lambda quotas", docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  vcpuMemoryMb: {
    value: 1_769,
    unit: 'MB of function memory that comes with one vCPU',
    source:
      'AWS Lambda DG, "Configure Lambda function memory", docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html',
  },
  sqsFifoHighThroughputTps: {
    value: 70_000,
    unit: 'transactions per second per API action, FIFO high-throughput mode, us-east-1/us-west-2/eu-west-1 (non-batched)',
    source:
      'Amazon SQS DG, "Amazon SQS message quotas", docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html',
  },
  kinesisShardBytesPerSecond: {
    value: 1_000_000,
    unit: 'bytes per second written per shard (AWS writes "1 MB/s"; read as 10^6, the smaller of MB and MiB)',
    source: KINESIS_STREAMS,
  },
  kinesisShardRecordsPerSecond: {
    value: 1_000,
    unit: 'records per second written per shard',
    source: KINESIS_STREAMS,
  },
  kinesisOnDemandInitialBytesPerSecond: {
    value: 4_000_000,
    unit: 'bytes per second a new on-demand stream takes (4 MB/s)',
    source: KINESIS_QUOTAS,
  },
  kinesisOnDemandMaxBytesPerSecond: {
    value: 200_000_000,
    unit: 'bytes per second an on-demand stream scales to by default (200 MB/s; 10 GB/s in us-east-1, us-west-2, eu-west-1)',
    source: KINESIS_QUOTAS,
  },
  kinesisOnDemandPeakMultiple: {
    value: 2,
    unit: 'an on-demand stream takes up to this multiple of its previous 30-day peak without throttling',
    source: 'Amazon Kinesis Data Streams FAQ, aws.amazon.com/kinesis/data-streams/faqs/',
  },
  streamShardsPerPartition: {
    value: 1,
    unit: 'DynamoDB Streams shards per table partition (one shard per partition)',
    source:
      'tecRacer, "Deep Dive into DynamoDB streams and the Lambda integration" (2022-03), tecracer.com/blog (third-party; AWS does not state it)',
    thirdParty: true,
  },
} as const satisfies Record<string, AwsFigure>;

/** The name of a figure. */
export type AwsFigureName = keyof typeof AWS_FIGURES;

/** The value of a figure. */
export function aws(name: AwsFigureName): number {
  return AWS_FIGURES[name].value;
}
