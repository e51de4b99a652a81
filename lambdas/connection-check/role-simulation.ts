import {
  type ContextEntry,
  type EvaluationResult,
  type IAMClient,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { describeError } from '../../adapters/errors.js';
import { kmsViaServiceValues } from '../../core/session-policies.js';
import type { CheckedDestination } from './properties.js';

/**
 * The export role's effective permissions for one destination, checked with
 * `iam:SimulatePrincipalPolicy` (the role's identity policies and permissions boundary; the
 * simulator does not evaluate SCPs, nor — for a role — the stream's resource policy or the key
 * policy, which must allow the export role too). The check runs
 * with its own role, so without this a grant missing from the export role would pass the deploy and
 * fail every export.
 */

/** One simulated permission: an action on a resource. */
export interface RequiredPermission {
  readonly action: string;
  readonly resource: string;
  /** The grant of the stack that provides it, named in the fix. */
  readonly grantedBy: string;
  /**
   * Condition keys of the request, as the service would set them: kms:GenerateDataKey reaches KMS
   * through Kinesis (`kms:ViaService`), which a grant conditioned on it needs to see.
   */
  readonly context?: readonly ContextEntry[];
}

/** The outcome of one destination's simulation. */
export interface RoleSimulationResult {
  readonly status: 'passed' | 'failed';
  /** One sentence: what is allowed, or each action denied with the fix. */
  readonly message: string;
}

/** Options of {@link simulateExportRole}. */
export interface RoleSimulationOptions {
  readonly iam: IAMClient;
  /** Waits between attempts (tests pass a no-op). */
  readonly sleep: (ms: number) => Promise<void>;
  /**
   * Attempts before a denial counts: IAM is eventually consistent, and the check may run seconds
   * after CloudFormation attached the export role's policy.
   * @default 4
   */
  readonly attempts?: number;
}

/**
 * The permissions the export role needs for a destination, as the stack grants them
 * (lib/destination-streams.ts): the source page's three Kinesis actions on the stream (plus
 * kms:GenerateDataKey through Kinesis on the key it writes with) when it writes with its own
 * identity; sts:AssumeRole on the cross-account role; secretsmanager:GetSecretValue on the
 * access-key secret.
 * @param keyArn the key the exporter writes with: the stream's own customer-managed key when its
 *   description told (the connection check reads it), else the configured one.
 */
export function requiredPermissions(
  d: CheckedDestination,
  keyArn: string | undefined = d.kmsKeyArn,
): RequiredPermission[] {
  if (d.roleArn !== undefined) {
    return [{ action: 'sts:AssumeRole', resource: d.roleArn, grantedBy: 'AssumeDestinationRoles' }];
  }
  if (d.credentialsSecretArn !== undefined) {
    return [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: d.credentialsSecretArn,
        grantedBy: 'ReadDestinationCredentials',
      },
    ];
  }
  const stream = d.streamArn ?? d.streamName;
  const permissions: RequiredPermission[] = [
    { action: 'kinesis:PutRecord', resource: stream, grantedBy: 'PutToDestinationStreams' },
    { action: 'kinesis:PutRecords', resource: stream, grantedBy: 'PutToDestinationStreams' },
    { action: 'kinesis:ListStreams', resource: stream, grantedBy: 'ListStreams' },
  ];
  if (keyArn !== undefined) {
    permissions.push({
      action: 'kms:GenerateDataKey',
      resource: keyArn,
      grantedBy: 'EncryptStreamRecords',
      context: [
        {
          ContextKeyName: 'kms:ViaService',
          ContextKeyValues: [kmsViaServiceValues('kinesis', d.region)[0] as string],
          ContextKeyType: 'string',
        },
      ],
    });
  }
  return permissions;
}

/**
 * Simulates every permission of {@link requiredPermissions} for the export role; retries denials
 * a few times (IAM propagation), never throws for an AWS error.
 */
export async function simulateExportRole(
  d: CheckedDestination,
  exportRoleArn: string,
  options: RoleSimulationOptions,
  keyArn: string | undefined = d.kmsKeyArn,
): Promise<RoleSimulationResult> {
  const permissions = requiredPermissions(d, keyArn);
  const attempts = options.attempts ?? 4;
  let denied: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    let results: EvaluationResult[];
    try {
      results = await simulate(options.iam, exportRoleArn, permissions);
    } catch (error) {
      return {
        status: 'failed',
        message: `iam:SimulatePrincipalPolicy on the export role ${exportRoleArn} failed (${describeError(error)}); the connection check's role needs iam:SimulatePrincipalPolicy on it (the stack grants it: redeploy)`,
      };
    }
    denied = permissions.flatMap((p) => {
      const result = results.find((r) => r.EvalActionName === p.action && r.EvalResourceName === p.resource);
      return result?.EvalDecision === 'allowed' ? [] : [denial(p, result, exportRoleArn)];
    });
    if (denied.length === 0) {
      return {
        status: 'passed',
        message: `the export role may ${permissions.map((p) => p.action).join(', ')} (simulated)`,
      };
    }
    if (attempt < attempts) await options.sleep(1000 * 2 ** (attempt - 1));
  }
  return { status: 'failed', message: denied.join('; ') };
}

async function simulate(
  iam: IAMClient,
  roleArn: string,
  permissions: readonly RequiredPermission[],
): Promise<EvaluationResult[]> {
  const results: EvaluationResult[] = [];
  // One call per resource: the simulator evaluates every action against every resource given.
  const byResource = new Map<string, { actions: string[]; context: ContextEntry[] }>();
  for (const p of permissions) {
    const entry = byResource.get(p.resource) ?? { actions: [], context: [] };
    entry.actions.push(p.action);
    entry.context.push(...(p.context ?? []));
    byResource.set(p.resource, entry);
  }
  for (const [resource, { actions, context }] of byResource) {
    let marker: string | undefined;
    do {
      const page = await iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: roleArn,
          ActionNames: actions,
          ResourceArns: [resource],
          ...(context.length > 0 && { ContextEntries: context }),
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      results.push(...(page.EvaluationResults ?? []));
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
  }
  return results;
}

/** The sentence for a denied permission: the action, the resource, why, and the fix. */
function denial(p: RequiredPermission, result: EvaluationResult | undefined, roleArn: string): string {
  const what = `the export role ${roleArn} may not ${p.action} on ${p.resource}`;
  const decision = result?.EvalDecision ?? 'not evaluated';
  if (result?.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false) {
    return `${what} (${decision}: its permissions boundary does not allow it); add ${p.action} to the boundary policy`;
  }
  if (decision === 'explicitDeny') {
    return `${what} (explicitDeny: a Deny statement in a policy attached to the role blocks it); remove that statement`;
  }
  return `${what} (${decision}); grant it to the role — the stack's ${p.grantedBy} statement does: redeploy, or restore the statement if it was edited`;
}
