import { Token } from 'aws-cdk-lib';
import { VARIABLE } from '../lambdas/commons/environment.js';
import { DEPLOY_TIME_MAX_LENGTH, type DeployTimeField } from './destination-resolution.js';

/**
 * Lambda refuses a function whose environment variables take more than 4 KB in all (keys and
 * values). Most of the pipeline's values are literal; the rest are tokens whose length is known only
 * at deploy time — the queue URLs and table names, and the destinations' deploy-time values in
 * `KD_CONFIG_OVERRIDES` — so the check counts each token at the longest it can resolve to, and names
 * the destinations whose deploy-time values take the most, to be given literal ARNs instead.
 */

/** Lambda's limit on a function's environment variables, keys and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/**
 * The longest a token among the other variables resolves to: an SQS queue URL
 * (`https://sqs.<region>.amazonaws.com/<account>/<name of up to 80>`), a table name (up to 255).
 */
const OTHER_TOKEN_MAX_LENGTH = 256;

const TOKEN = /\$\{Token\[[^\]]+\]\}/g;

/** The longest `value` can be once deployed: its literal characters, each token at its longest. */
function longest(value: string): number {
  if (!Token.isUnresolved(value)) return value.length;
  const tokens = value.match(TOKEN)?.length ?? 1;
  return value.replace(TOKEN, '').length + tokens * OTHER_TOKEN_MAX_LENGTH;
}

/** The longest `KD_CONFIG_OVERRIDES` can be: its JSON with each deploy-time value at its longest. */
export function overridesBytes(
  overrides: Readonly<Record<string, Partial<Record<DeployTimeField, string>>>>,
): number {
  return Object.entries(overrides).reduce((sum, [id, fields]) => sum + destinationBytes(id, fields), 0) + 20;
}

function destinationBytes(id: string, fields: Partial<Record<DeployTimeField, string>>): number {
  // "<id>":{"<field>":"<value>",…},
  return (
    id.length +
    6 +
    Object.keys(fields).reduce((n, f) => n + f.length + 6 + DEPLOY_TIME_MAX_LENGTH[f as DeployTimeField], 0)
  );
}

/**
 * The problem of a function whose environment can exceed Lambda's 4 KB, or none.
 * @param environment the function's variables; `KD_CONFIG_OVERRIDES`, a token, is counted from `overrides`.
 */
export function environmentSizeIssue(
  functionName: string,
  environment: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, Partial<Record<DeployTimeField, string>>>>,
): string | undefined {
  let bytes = 0;
  for (const [key, value] of Object.entries(environment)) {
    bytes += key.length + (key === VARIABLE.configOverrides ? overridesBytes(overrides) : longest(value));
  }
  if (bytes <= LAMBDA_ENVIRONMENT_LIMIT) return undefined;
  const largest = Object.entries(overrides)
    .map(([id, fields]) => ({ id, bytes: destinationBytes(id, fields), fields: Object.keys(fields) }))
    .sort((a, b) => b.bytes - a.bytes);
  const over = bytes - LAMBDA_ENVIRONMENT_LIMIT;
  const names: string[] = [];
  let freed = 0;
  for (const d of largest) {
    if (freed >= over) break;
    names.push(`${d.id} (${d.fields.join(', ')})`);
    freed += d.bytes;
  }
  return `destinations: the ${functionName} function's environment can reach ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT}: values known only at deploy time (resources of this app) travel in it. Give these destinations literal ARNs instead — import the stream, role, key or secret with fromStreamArn / fromRoleArn / fromKeyArn / fromSecretCompleteArn and its ARN written out, which go into the config layer: ${names.join('; ')}`;
}
