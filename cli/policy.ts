import type { Command } from 'commander';
import type { Destination } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { streamAccountOf, streamArn } from '../core/stream-arn.js';
import { findDestination, loadCommandConfig, withConfigOption } from './deployment.js';

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
  readonly Condition?: Record<string, Record<string, string>>;
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

/**
 * The trust policy of a cross-account role: the exporter's role (stack output `ExportRoleArn`)
 * may assume it, only with the configured external id.
 */
export function buildTrustPolicy(d: Destination, exporterRoleArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'KinesisDestinationExporter',
        Effect: 'Allow',
        Principal: { AWS: exporterRoleArn },
        Action: ['sts:AssumeRole'],
        ...(d.externalId === undefined
          ? {}
          : { Condition: { StringEquals: { 'sts:ExternalId': d.externalId } } }),
      },
    ],
  };
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
      `Attach this policy to ${d.roleArn} in account ${d.roleArn.split(':')[4]}. Its trust policy must let the exporter's role (stack output ExportRoleArn) assume it${d.externalId === undefined ? '' : ' with sts:ExternalId'}; \`--trust-policy --exporter-role ARN\` prints it.`,
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
  readonly exporterRole?: string;
}

/** Registers `policy` on the CLI. */
export function registerPolicyCommand(program: Command): void {
  withConfigOption(
    program
      .command('policy')
      .description(
        "print the minimal IAM policy for a destination's stream (JSON on stdout, notes on stderr)",
      )
      .requiredOption('--destination <id>', 'the destination')
      .option(
        '--account <id>',
        "the stream's account (default: accountId from the config, else the role's account)",
      )
      .option('--trust-policy', "print the cross-account role's trust policy instead")
      .option(
        '--exporter-role <arn>',
        "the exporter's role ARN for the trust policy (stack output ExportRoleArn)",
      ),
  ).action((flags: PolicyFlags) => {
    const d = findDestination(loadCommandConfig(flags.config), flags.destination);
    if (flags.trustPolicy === true) {
      if (d.roleArn === undefined) {
        throw new UsageError(
          `destination "${d.id}" has no roleArn: no cross-account role, so no trust policy`,
        );
      }
      if (flags.exporterRole === undefined) {
        throw new UsageError('--trust-policy needs --exporter-role ARN (the stack output ExportRoleArn)');
      }
      process.stdout.write(`${JSON.stringify(buildTrustPolicy(d, flags.exporterRole), null, 2)}\n`);
      return;
    }
    const account = streamAccount(d, flags.account);
    process.stdout.write(`${JSON.stringify(buildWritePolicy(d, account), null, 2)}\n`);
    for (const note of policyNotes(d, account)) process.stderr.write(`# ${note}\n`);
  });
}
