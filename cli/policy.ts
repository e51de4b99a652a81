import type { Command } from 'commander';
import type { Destination } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { assumingRoleNames } from '../core/role-names.js';
import { STACK_OUTPUT } from '../core/stack-outputs.js';
import { partitionOf, streamAccountOf, streamArn } from '../core/stream-arn.js';
import { DEFAULT_STACK_NAME, findDestination, loadCommandConfig, withConfigOption } from './deployment.js';

/**
 * `policy`: the minimal IAM policy the exporter's principal needs for one destination — the
 * source page's three actions and nothing more, plus kms:GenerateDataKey when the stream is
 * encrypted with a customer-managed key.
 */

/** One IAM policy statement. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string[];
  /** Absent in a trust policy (a resource-based policy names no resource). */
  readonly Resource?: string | string[];
  readonly Principal?: Record<string, string>;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/**
 * The account that owns the stream: `--account`, else the destination's `accountId`, else the
 * account of its cross-account role (the role lives beside the stream).
 * @throws UsageError when none is known.
 */
export function streamAccount(d: Destination, flag: string | undefined): string {
  const account = flag ?? streamAccountOf(d);
  if (account === undefined) {
    throw new UsageError(
      `destination "${d.id}": the stream's account is unknown; pass --account 123456789012 or set accountId in the config`,
    );
  }
  if (!/^\d{12}$/.test(account))
    throw new UsageError(`--account must be a 12-digit AWS account id, got "${account}"`);
  return account;
}

/**
 * The least-privilege policy for writing to the destination's stream.
 *
 * kinesis:ListStreams cannot be scoped to a stream: it lists the account's streams and IAM only
 * accepts `"Resource": "*"` for it (it has no resource type in the service authorization
 * reference). The exporter and `validate` use it to check that the stream exists, as the source
 * page's platform does; it reveals stream names only, never data.
 */
export function buildWritePolicy(d: Destination, account: string): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: 'ListStreams', Effect: 'Allow', Action: ['kinesis:ListStreams'], Resource: '*' },
    {
      Sid: 'PutRecords',
      Effect: 'Allow',
      Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
      Resource: streamArn(d, account),
    },
  ];
  if (d.kmsKeyArn !== undefined) {
    statements.push({
      Sid: 'EncryptRecords',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey'],
      Resource: d.kmsKeyArn,
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Where the pipeline is deployed: what the names of its roles derive from. */
export interface PipelineLocation {
  /** The default app's stack name (`-c stackName`, default KinesisDestination). */
  readonly stack: string;
  /** The region the stack is deployed to. */
  readonly region: string;
  /** The account the stack is deployed to. */
  readonly account: string;
}

/**
 * The ARNs of the pipeline's roles that assume a destination's role — the export role and the
 * connection check's — with the fixed names the stack gives them (core/role-names.ts).
 */
export function assumingRoleArns(at: PipelineLocation): string[] {
  return assumingRoleNames(at.stack, at.region).map(
    (name) => `arn:${partitionOf(at.region)}:iam::${at.account}:role/${name}`,
  );
}

/**
 * The trust policy of a cross-account role: exactly the pipeline's two assuming roles may assume
 * it, with the configured external id. The principal is the pipeline's account and the roles are
 * named in an `aws:PrincipalArn` condition, not as principals: IAM refuses a role principal that
 * does not exist yet, and would stop matching a role principal that is deleted and created again
 * (it stores the role's unique id), whereas this policy can be saved before the first deploy and
 * outlives a replaced role.
 */
export function buildTrustPolicy(d: Destination, at: PipelineLocation): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'KinesisDestinationPipelineRoles',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partitionOf(at.region)}:iam::${at.account}:root` },
        Action: ['sts:AssumeRole'],
        Condition: {
          ...(d.externalId === undefined ? {} : { StringEquals: { 'sts:ExternalId': d.externalId } }),
          ArnEquals: { 'aws:PrincipalArn': assumingRoleArns(at) },
        },
      },
    ],
  };
}

/** The notes printed on stderr beside the trust policy. */
export function trustPolicyNotes(d: Destination, at: PipelineLocation): string[] {
  const [exportRole, checkRole] = assumingRoleArns(at);
  return [
    `Set this as the trust policy of ${d.roleArn ?? "the destination's role"}.`,
    `${exportRole} writes the records; ${checkRole} checks the stream at deploy time (stack outputs ${STACK_OUTPUT.exportRoleArn}, ${STACK_OUTPUT.connectionCheckRoleArn}).`,
    `The names are those the default app's stack "${at.stack}" gives its roles in ${at.region}, so the policy can be saved before the first deploy; a KinesisDestination construct in another app names them after its stack, id and path: read its exportRole and connectionCheckRole.`,
    d.externalId === undefined
      ? `No sts:ExternalId condition: the config says why (noExternalIdReason: ${d.noExternalIdReason ?? '—'}).`
      : "sts:ExternalId must match the destination's externalId.",
  ];
}

/** The notes printed on stderr beside the policy. */
export function policyNotes(d: Destination, account: string): string[] {
  const notes = [
    'kinesis:ListStreams is on "*": IAM cannot scope it to one stream (it lists the account\'s stream names, no data).',
    `kinesis:PutRecord / PutRecords are scoped to ${streamArn(d, account)} only.`,
  ];
  if (d.kmsKeyArn !== undefined) {
    notes.push(
      "kms:GenerateDataKey lets the producer encrypt records with the stream's key; the key policy must allow it too.",
    );
  }
  if (d.roleArn !== undefined) {
    notes.push(
      `Attach this policy to ${d.roleArn} in account ${d.roleArn.split(':')[4]}. Its trust policy must let the pipeline's export and connection-check roles assume it${d.externalId === undefined ? '' : ' with sts:ExternalId'}; \`--trust-policy --pipeline-account ID --region REGION\` prints it.`,
    );
  } else if (d.credentialsSecretArn !== undefined) {
    notes.push(`Attach this policy to the IAM user whose access key is stored in ${d.credentialsSecretArn}.`);
  } else {
    notes.push(
      'The stack grants exactly these statements to its export role; attach this policy when you manage that role yourself.',
    );
  }
  return notes;
}

interface PolicyFlags {
  readonly destination: string;
  readonly account?: string;
  readonly config?: string;
  readonly trustPolicy?: boolean;
  readonly stack?: string;
  readonly region?: string;
  readonly pipelineAccount?: string;
}

/**
 * Where the pipeline is, for `--trust-policy`: `--stack` (default KinesisDestination), `--region`
 * (else AWS_REGION, AWS_DEFAULT_REGION), `--pipeline-account`.
 * @throws UsageError naming the missing or malformed flag.
 */
export function pipelineLocation(
  flags: Pick<PolicyFlags, 'stack' | 'region' | 'pipelineAccount'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PipelineLocation {
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new UsageError(
      `--trust-policy needs the pipeline's region: pass --region (e.g. us-east-2) or set AWS_REGION${region === undefined ? '' : `; "${region}" is not a region name`}`,
    );
  }
  const account = flags.pipelineAccount;
  if (account === undefined || !/^\d{12}$/.test(account)) {
    throw new UsageError(
      `--trust-policy needs --pipeline-account: the 12-digit account the pipeline is deployed to${account === undefined ? '' : `, got "${account}"`}`,
    );
  }
  return { stack: flags.stack ?? DEFAULT_STACK_NAME, region, account };
}

/** Registers `policy` on the CLI. */
export function registerPolicyCommand(program: Command): void {
  withConfigOption(
    program
      .command('policy')
      .description(
        "print the minimal IAM policy for a destination's stream, or its cross-account role's trust policy (JSON on stdout, notes on stderr)",
      )
      .requiredOption('--destination <id>', 'the destination')
      .option(
        '--account <id>',
        "the stream's account (default: accountId from the config, else the role's account)",
      )
      .option(
        '--trust-policy',
        "print the cross-account role's trust policy: the pipeline's export and connection-check roles, by name",
      )
      .option(
        '--stack <name>',
        `the pipeline's stack name, for --trust-policy (default: ${DEFAULT_STACK_NAME})`,
      )
      .option('--region <region>', "the pipeline's region, for --trust-policy (default: AWS_REGION)")
      .option('--pipeline-account <id>', 'the account the pipeline is deployed to, for --trust-policy'),
  ).action((flags: PolicyFlags) => {
    const d = findDestination(loadCommandConfig(flags.config), flags.destination);
    if (flags.trustPolicy === true) {
      if (d.roleArn === undefined) {
        throw new UsageError(
          `destination "${d.id}" has no roleArn: no cross-account role, so no trust policy`,
        );
      }
      const at = pipelineLocation(flags);
      process.stdout.write(`${JSON.stringify(buildTrustPolicy(d, at), null, 2)}\n`);
      for (const note of trustPolicyNotes(d, at)) process.stderr.write(`# ${note}\n`);
      return;
    }
    const account = streamAccount(d, flags.account);
    process.stdout.write(`${JSON.stringify(buildWritePolicy(d, account), null, 2)}\n`);
    for (const note of policyNotes(d, account)) process.stderr.write(`# ${note}\n`);
  });
}
