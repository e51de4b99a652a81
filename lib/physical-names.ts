import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type AssumingRole, pipelineRoleName, ROLE_NAME_PREFIX_LENGTH } from '../core/role-names.js';

/**
 * The fixed physical names of a pipeline: the backfill function (it invokes itself by name) and the
 * roles that assume a destination's cross-account role (named in the customer's trust policy).
 */

/**
 * A prefix unique to one pipeline, at most `maxLength` characters: the stack's name for a construct
 * with the id `Default` directly in its stack (the default app), otherwise
 * `<stack name>-<id>-<hash of the construct's path>`, shortened to fit, so two constructs never share
 * a name.
 */
export function pipelinePrefix(construct: Construct, maxLength: number): string {
  const stack = Stack.of(construct);
  if (construct.node.id === 'Default' && construct.node.scope === stack) {
    return stack.stackName.slice(0, maxLength);
  }
  const hash = createHash('sha256').update(construct.node.path).digest('hex').slice(0, 8);
  const base = `${stack.stackName}-${construct.node.id}`.replace(/[^A-Za-z0-9_-]/g, '');
  return `${base.slice(0, maxLength - hash.length - 1)}-${hash}`;
}

const BACKFILL_SUFFIX = '-backfill';
/** Lambda function names have at most 64 characters. */
const MAX_FUNCTION_NAME = 64;

/** The backfill's fixed name: `<prefix>-backfill` (`KinesisDestination-backfill` for the default app). */
export function backfillFunctionName(construct: Construct): string {
  return `${pipelinePrefix(construct, MAX_FUNCTION_NAME - BACKFILL_SUFFIX.length)}${BACKFILL_SUFFIX}`;
}

/**
 * The fixed name of one of the pipeline's assuming roles, in the stack's region (a token when the
 * stack is environment-agnostic: CloudFormation resolves it): `KinesisDestination-export-us-east-2`.
 */
export function assumingRoleName(construct: Construct, role: AssumingRole): string {
  return pipelineRoleName(
    pipelinePrefix(construct, ROLE_NAME_PREFIX_LENGTH),
    role,
    Stack.of(construct).region,
  );
}
