import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type AssumingRole, pipelineRoleName, ROLE_NAME_PREFIX_LENGTH } from '../core/role-names.js';

/**
 * The fixed physical names of a pipeline — the backfill function (it invokes itself by name) and the
 * roles that assume a destination's cross-account role (named in the customer's trust policy) — all
 * derived from the pipeline's name, never from the construct's path: moving the construct in the
 * tree renames nothing a partner's trust policy names.
 */

/** A pipeline name: letters, digits and `-`, starting with a letter or digit (a stack name fits). */
export const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

/**
 * The default pipeline name: `<stack name>-<construct id>`, which the user controls and which stays
 * when the construct moves within its stack. Kept to {@link ROLE_NAME_PREFIX_LENGTH} characters (the
 * part of a role name it fills) by cutting it and adding a hash of the whole, so two long names do not
 * share their roles.
 */
export function defaultPipelineName(construct: Construct): string {
  const base = `${Stack.of(construct).stackName}-${construct.node.id}`
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+/, '');
  if (base.length <= ROLE_NAME_PREFIX_LENGTH) return base;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, ROLE_NAME_PREFIX_LENGTH - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

const BACKFILL_SUFFIX = '-backfill';
/** Lambda function names have at most 64 characters. */
const MAX_FUNCTION_NAME = 64;

/** The backfill's fixed name: `<pipeline name>-backfill` (`KinesisDestination-backfill` for the default app). */
export function backfillFunctionName(pipelineName: string): string {
  return `${pipelineName.slice(0, MAX_FUNCTION_NAME - BACKFILL_SUFFIX.length)}${BACKFILL_SUFFIX}`;
}

/**
 * The fixed name of one of the pipeline's assuming roles, in the stack's region (a token when the
 * stack is environment-agnostic: CloudFormation resolves it): `KinesisDestination-export-us-east-2`.
 */
export function assumingRoleName(scope: Construct, pipelineName: string, role: AssumingRole): string {
  return pipelineRoleName(pipelineName, role, Stack.of(scope).region);
}

/** IAM role names: 1–64 of letters, digits and `+=,.@_-`. */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
