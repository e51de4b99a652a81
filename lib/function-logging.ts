import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';

/** Options of {@link logGroupWithRole}. */
export interface LogGroupWithRoleProps {
  /** Encrypts the log group; its key policy must let CloudWatch Logs use it. */
  readonly logKey: kms.IKey;
  /** The role's description. */
  readonly description: string;
  /** @default 'Logs' */
  readonly logGroupId?: string;
  /** @default 'Role' */
  readonly roleId?: string;
}

/** A function's own log group and the role that may write to it. */
export interface LogGroupWithRole {
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
}

/**
 * The log group and execution role every Lambda function of the pipeline runs with (the pipeline
 * functions, the connection check's provider framework, the backfill trigger): a KMS-encrypted log
 * group with the settings' retention, and a role for `lambda.amazonaws.com` whose only right is
 * `WriteOwnLogGroup` — logs:CreateLogStream and logs:PutLogEvents on that log group — until its user
 * grants more. It replaces AWSLambdaBasicExecutionRole, which allows logs:CreateLogGroup and writing
 * to every log group in the account.
 *
 * Both are created directly under `scope` (no construct of their own), so the logical ids are those
 * of `scope`'s children `logGroupId` and `roleId`.
 */
export function logGroupWithRole(scope: Construct, props: LogGroupWithRoleProps): LogGroupWithRole {
  const logGroup = new logs.LogGroup(scope, props.logGroupId ?? 'Logs', {
    retention: logRetention(PIPELINE_SETTINGS.logRetentionDays),
    encryptionKey: props.logKey,
  });
  const role = new iam.Role(scope, props.roleId ?? 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  return { logGroup, role };
}

const RETENTION_VALUES = new Set<number>(
  Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'),
);

/**
 * The CloudWatch Logs retention for a number of days.
 * @throws Error when CloudWatch Logs does not offer that retention.
 */
export function logRetention(days: number): logs.RetentionDays {
  if (!RETENTION_VALUES.has(days)) {
    throw new Error(`logRetentionDays ${days} is not a CloudWatch Logs retention (e.g. 30, 60, 90, 365)`);
  }
  return days as logs.RetentionDays;
}
