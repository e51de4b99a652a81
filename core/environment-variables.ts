/**
 * The name of every environment variable the project reads or sets, spelled once: the functions'
 * (read through each function's `environment.ts`, set by the CDK construct and the local stack),
 * the CLI's (a deployment's resources, the config path; printed by `local up`) and the AWS SDK's
 * standard endpoint overrides.
 */

/** The names of the functions' environment variables. */
export const VARIABLE = {
  /** The destination config JSON: inlined into the bundle on AWS, set by the local runtime. */
  configJson: 'KD_CONFIG_JSON',
  exportQueueUrl: 'EXPORT_QUEUE_URL',
  rejectsQueueUrl: 'REJECTS_QUEUE_URL',
  deadLetterQueueUrl: 'DLQ_URL',
  stateTableName: 'STATE_TABLE_NAME',
  profileTableName: 'PROFILE_TABLE_NAME',
  exportMaxReceiveCount: 'EXPORT_MAX_RECEIVE_COUNT',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/**
 * The variables through which the CLI finds a deployment's resources (else from the CloudFormation
 * stack's outputs); `local up` prints them.
 */
export const DEPLOYMENT_VARIABLE = {
  profileTableName: VARIABLE.profileTableName,
  stateTableName: VARIABLE.stateTableName,
  exportQueueUrl: VARIABLE.exportQueueUrl,
  dlqUrl: VARIABLE.deadLetterQueueUrl,
  rejectsQueueUrl: VARIABLE.rejectsQueueUrl,
} as const;

/** The config file a CLI command reads unless `--config` names one. */
export const CONFIG_PATH_VARIABLE = 'KD_CONFIG';

/** The AWS SDK's endpoint override of every service. */
export const ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL';

/** The AWS SDK's endpoint override of one service (`AWS_ENDPOINT_URL_KINESIS`, …). */
export function serviceEndpointVariable(service: 'KINESIS' | 'STS' | 'KMS' | 'SQS' | 'DYNAMODB'): string {
  return `${ENDPOINT_VARIABLE}_${service}`;
}
