/**
 * Environment variables read outside the functions: the CLI's config path and the AWS SDK's
 * standard endpoint overrides. The functions' variables are in lambdas/commons/environment.ts.
 */

/** The config file a CLI command reads unless `--config` names one. */
export const CONFIG_PATH_VARIABLE = 'KD_CONFIG';

/** The AWS SDK's endpoint override of every service. */
export const ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL';

/** The AWS SDK's endpoint override of one service (`AWS_ENDPOINT_URL_KINESIS`, …). */
export function serviceEndpointVariable(service: 'KINESIS' | 'STS' | 'KMS' | 'SQS' | 'DYNAMODB'): string {
  return `${ENDPOINT_VARIABLE}_${service}`;
}
