/**
 * The name of every environment variable the project reads or sets, spelled once: the functions'
 * (read through each function's `environment.ts`, set by the CDK construct and the local stack),
 * the CLI's (a deployment's resources, the config path; printed by `local up`) and the AWS SDK's
 * standard endpoint overrides.
 */

/** The names of the functions' environment variables. */
export const VARIABLE = {
  /** The destination config JSON itself: set by the local runtime (on AWS the config is a file). */
  configJson: 'KD_CONFIG_JSON',
  /**
   * The file holding the destination config JSON when {@link VARIABLE.configJson} is not set
   * (default: the config layer's `/opt/kinesis-destination/config.json`).
   */
  configJsonPath: 'KD_CONFIG_JSON_PATH',
  /**
   * Per-destination values merged over the config file's, as JSON
   * (`{"destinations":{"<id>":{"<field>":<value>}}}`): the seam through which values known only at
   * deploy time (CloudFormation tokens, e.g. a stream created elsewhere) reach the functions, while
   * the literal config stays in the hash-stable layer. Optional.
   */
  configOverrides: 'KD_CONFIG_OVERRIDES',
  exportQueueUrl: 'EXPORT_QUEUE_URL',
  rejectsQueueUrl: 'REJECTS_QUEUE_URL',
  deadLetterQueueUrl: 'DLQ_URL',
  stateTableName: 'STATE_TABLE_NAME',
  profileTableName: 'PROFILE_TABLE_NAME',
  exportMaxReceiveCount: 'EXPORT_MAX_RECEIVE_COUNT',
  /**
   * The pipeline's name (the construct's `pipelineName`): the value of every metric's `pipeline`
   * dimension. Optional: the local stack sets none.
   */
  pipelineName: 'KD_PIPELINE_NAME',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/**
 * The variables through which the CLI finds a deployment's resources (else from the CloudFormation
 * stack's outputs); `local up` prints them.
 */
/**
 * The decide mapping's on-failure queue (shard ranges the mapping gave up on), read by
 * `decide replay`: a deployment variable, else the stack output `DecideFailuresQueueUrl`.
 */
export const DECIDE_FAILURES_QUEUE_VARIABLE = 'DECIDE_FAILURES_QUEUE_URL';

export const DEPLOYMENT_VARIABLE = {
  profileTableName: VARIABLE.profileTableName,
  stateTableName: VARIABLE.stateTableName,
  exportQueueUrl: VARIABLE.exportQueueUrl,
  dlqUrl: VARIABLE.deadLetterQueueUrl,
  rejectsQueueUrl: VARIABLE.rejectsQueueUrl,
  decideFailuresQueueUrl: DECIDE_FAILURES_QUEUE_VARIABLE,
} as const;

/**
 * The local runtime's metrics endpoint (local/metrics-endpoint.ts), printed by `local up`:
 * `kinesis-destination status` reads the local funnel there instead of CloudWatch.
 */
export const LOCAL_METRICS_URL_VARIABLE = 'KD_LOCAL_METRICS_URL';

/** The config file a CLI command reads unless `--config` names one. */
export const CONFIG_PATH_VARIABLE = 'KD_CONFIG';

/** The AWS SDK's endpoint override of every service. */
export const ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL';

/** The AWS SDK's endpoint override of one service (`AWS_ENDPOINT_URL_KINESIS`, …). */
export function serviceEndpointVariable(service: 'KINESIS' | 'STS' | 'KMS' | 'SQS' | 'DYNAMODB'): string {
  return `${ENDPOINT_VARIABLE}_${service}`;
}
