import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Command } from 'commander';
import type { StreamTarget } from '../adapters/aws-clients.js';
import {
  checkStreamConnection,
  describeStream,
  judgeStream,
  probePutRecords,
} from '../adapters/connection-check.js';
import { describeError } from '../adapters/errors.js';
import type { Destination } from '../core/config.js';
import { ENDPOINT_VARIABLE, serviceEndpointVariable } from '../core/environment-variables.js';
import { CredentialRedactor } from '../core/redaction.js';
import { streamArn } from '../core/stream-arn.js';
import type { StreamRuleName } from '../core/stream-rules.js';
import { loadCommandConfig, selectDestinations, withConfigOption } from './deployment.js';
import { textColumns } from './text-table.js';
import {
  checkKey,
  connectionRow,
  defaultValidateClients,
  interpretProbe,
  type ResolvedPrincipal,
  resolvePrincipal,
  type ValidateCheck,
  type ValidateCheckName,
  type ValidateClients,
} from './validate-checks.js';

export type { ValidateCheck, ValidateCheckName, ValidateClients } from './validate-checks.js';

/**
 * `validate`: what the source page says the platform checks when a destination is configured —
 * the credentials (or the assumed role) resolve, ListStreams sees the stream, the stream is
 * ACTIVE, the principal may PutRecords to it — plus what the stream's description reveals
 * (core/stream-rules.ts: its KMS key against `kmsKeyArn`, a record distribution strategy that ignores
 * partition keys — a warning here, a refusal at deploy — and its largest record) and the configured
 * KMS key, if any. Nothing is written to the stream.
 *
 * ListStreams / stream-exists / stream-active and the PutRecords probe are
 * adapters/connection-check.ts (the deploy-time connection check's code); the credentials come
 * from the exporter's resolver (adapters/destination-credentials.ts).
 */

export interface ValidateOptions {
  readonly clients?: ValidateClients;
  /**
   * Skip STS (and with it the role and secret): set when Kinesis points at a local emulator and
   * no STS endpoint is configured, so nothing reaches AWS. The reason is shown on the row.
   */
  readonly skipCredentials?: string;
  /** Skip the KMS check, with this reason (no KMS emulator locally). */
  readonly skipKms?: string;
}

/**
 * Runs every check for one destination. A failed credentials check skips the rest (they would
 * only repeat its error); a missing stream skips the status, stream-rule and PutRecords checks; a
 * stream that ignores partition keys is not probed (it would store the probe). Never throws for an
 * AWS error: each becomes a failed row with its fix; every row's text is redacted (core/redaction.ts).
 */
export async function validateDestination(
  d: Destination,
  options: ValidateOptions = {},
): Promise<ValidateCheck[]> {
  const clients = options.clients ?? defaultValidateClients;
  const rows: ValidateCheck[] = [];
  const push = (c: Omit<ValidateCheck, 'destinationId'>) => rows.push({ destinationId: d.id, ...c });
  const skipRest = (reason: string, from: ValidateCheckName[]) => {
    for (const check of from) push({ check, status: 'skipped', detail: reason });
  };

  // Every row leaves with the credential values it could quote taken out (core/redaction.ts).
  const redactor = new CredentialRedactor();
  const redacted = () =>
    rows.map((r) => ({
      ...r,
      detail: redactor.redact(r.detail),
      ...(r.fix !== undefined && { fix: redactor.redact(r.fix) }),
    }));

  let principal: ResolvedPrincipal | undefined;
  if (options.skipCredentials !== undefined) {
    push({ check: 'credentials', status: 'skipped', detail: options.skipCredentials });
    principal = { credentials: undefined, account: undefined };
  } else {
    principal = await resolvePrincipal(d, clients, push);
    if (principal === undefined) {
      skipRest('not checked: the credentials did not resolve', [
        'list-streams',
        'stream-exists',
        'stream-active',
        ...STREAM_RULES,
        'put-records',
        ...(d.kmsKeyArn === undefined ? [] : (['kms-key'] as const)),
      ]);
      return redacted();
    }
    if (principal.credentials !== undefined) redactor.remember(principal.credentials);
  }

  const kinesis = clients.kinesis(d.region, principal.credentials);
  // A stream in another account written without a role (through its resource policy): ListStreams
  // in the caller's account cannot see it; PutRecords is probed on its ARN.
  const crossAccount =
    d.roleArn === undefined &&
    d.accountId !== undefined &&
    principal.account !== undefined &&
    d.accountId !== principal.account;
  let streamFound = true;
  if (crossAccount) {
    skipRest(
      `the stream is in account ${d.accountId}, written through its resource policy; ListStreams in account ${principal.account} cannot list it`,
      ['list-streams', 'stream-exists', 'stream-active'],
    );
  } else {
    const report = await checkStreamConnection({ client: kinesis, streamName: d.streamName });
    for (const c of report.checks) {
      push(connectionRow(c, d));
      if (c.check === 'stream-exists' && c.status !== 'passed') streamFound = false;
      if (c.check === 'list-streams' && c.status === 'failed') streamFound = false;
    }
  }

  const target: StreamTarget =
    crossAccount && d.accountId !== undefined
      ? { StreamARN: streamArn(d, d.accountId) }
      : { StreamName: d.streamName };
  let ignoresPartitionKeys = false;
  if (!streamFound) {
    skipRest('not checked: the stream was not found', [...STREAM_RULES]);
  } else {
    const account = crossAccount ? d.accountId : (principal.account ?? d.accountId);
    const kms =
      options.skipKms === undefined ? () => clients.kms(d.region, principal.credentials) : undefined;
    const judged = await streamRuleRows(d, kinesis, target, account, kms);
    for (const row of judged.rows) push(row);
    ignoresPartitionKeys = judged.ignoresPartitionKeys;
  }

  if (!streamFound) {
    push({ check: 'put-records', status: 'skipped', detail: 'not checked: the stream was not found' });
  } else if (ignoresPartitionKeys) {
    // A stream that ignores partition keys ignores ExplicitHashKey too: the probe would be stored.
    push({
      check: 'put-records',
      status: 'skipped',
      detail:
        'not probed: the stream ignores partition keys and explicit hash keys, so the probe would be written to it; fix the record distribution strategy first',
    });
  } else {
    const outcome = await probePutRecords(kinesis, target);
    push({ check: 'put-records', ...interpretProbe(outcome, d) });
  }

  if (d.kmsKeyArn !== undefined) {
    if (options.skipKms !== undefined) push({ check: 'kms-key', status: 'skipped', detail: options.skipKms });
    else push({ check: 'kms-key', ...(await checkKey(d, d.kmsKeyArn, clients, principal.credentials)) });
  }
  return redacted();
}

/** The rows of the stream rules, in report order. */
const STREAM_RULES: readonly StreamRuleName[] = ['stream-key', 'record-distribution', 'record-size'];

/**
 * The stream rules' rows (core/stream-rules.ts) on the stream's description: each finding with its
 * fix; the record distribution strategy only warns here (the deploy-time check refuses it). Skipped,
 * with why, when the credentials may not describe the stream.
 */
async function streamRuleRows(
  d: Destination,
  kinesis: KinesisClient,
  target: StreamTarget,
  account: string | undefined,
  kms: (() => KMSClient) | undefined,
): Promise<{ rows: Omit<ValidateCheck, 'destinationId'>[]; ignoresPartitionKeys: boolean }> {
  const described = await describeStream(kinesis, target);
  if (!described.ok) {
    const detail = `not checked: kinesis:DescribeStreamSummary failed (${describeError(described.error)})`;
    const fix =
      "allow kinesis:DescribeStreamSummary on the stream to these credentials to check the stream's key, record distribution strategy and record size (the exporter does not need it)";
    return {
      rows: STREAM_RULES.map((check) => ({ check, status: 'skipped', detail, fix })),
      ignoresPartitionKeys: false,
    };
  }
  const where = { streamArn: described.settings.streamArn, account };
  const outcome = await judgeStream(described.settings, d, where, kms);
  return {
    rows: outcome.findings.map((f) => ({
      check: f.check,
      status: f.check === 'record-distribution' && f.status === 'failed' ? 'warning' : f.status,
      detail: f.detail,
      ...(f.fix !== undefined && { fix: f.fix }),
    })),
    ignoresPartitionKeys: outcome.findings.some(
      (f) => f.check === 'record-distribution' && f.status !== 'passed',
    ),
  };
}

export function formatValidationTable(rows: readonly ValidateCheck[]): string {
  const cells = rows.map((r) => [r.status.toUpperCase(), r.destinationId, r.check, r.detail]);
  const header = ['RESULT', 'DESTINATION', 'CHECK', 'DETAIL'];
  const { widths, render } = textColumns(header, cells);
  const lines = [render(header)];
  rows.forEach((r, i) => {
    lines.push(render(cells[i] as string[]));
    if (r.fix !== undefined) lines.push(`${' '.repeat((widths[0] as number) + 2)}fix: ${r.fix}`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Whether STS / KMS are reachable without leaving the machine: with Kinesis aimed at an emulator
 * and no endpoint for the other service, its check is skipped instead of calling AWS.
 */
export function localSkips(
  env: Readonly<Record<string, string | undefined>>,
): Pick<ValidateOptions, 'skipCredentials' | 'skipKms'> {
  const endpoint = (service: 'KINESIS' | 'STS' | 'KMS') => env[serviceEndpointVariable(service)];
  if (endpoint('KINESIS') === undefined || env[ENDPOINT_VARIABLE] !== undefined) return {};
  return {
    ...(endpoint('STS') === undefined
      ? {
          skipCredentials: `Kinesis is a local emulator and no STS endpoint is set (${serviceEndpointVariable('STS')})`,
        }
      : {}),
    ...(endpoint('KMS') === undefined
      ? {
          skipKms: `Kinesis is a local emulator and no KMS endpoint is set (${serviceEndpointVariable('KMS')})`,
        }
      : {}),
  };
}

interface ValidateFlags {
  readonly config?: string;
  readonly destination?: string;
  readonly json?: boolean;
}

/** Registers `validate` on the CLI. */
export function registerValidateCommand(program: Command): void {
  withConfigOption(
    program
      .command('validate')
      .description(
        "check each destination as the platform does: credentials, ListStreams, stream ACTIVE, the stream's key, record distribution strategy and record size, PutRecords permission, KMS key",
      )
      .option('--destination <id>', 'only this destination')
      .option('--json', 'JSON array instead of a table'),
  ).action(async (flags: ValidateFlags) => {
    const destinations = selectDestinations(loadCommandConfig(flags.config), flags.destination);
    const options = localSkips(process.env);
    const rows: ValidateCheck[] = [];
    for (const d of destinations) {
      process.stderr.write(`validating ${d.id} (stream ${d.streamName} in ${d.region})…\n`);
      rows.push(...(await validateDestination(d, options)));
    }
    process.stdout.write(
      flags.json === true ? `${JSON.stringify(rows, null, 2)}\n` : formatValidationTable(rows),
    );
    const failed = rows.filter((r) => r.status === 'failed').length;
    const warned = rows.filter((r) => r.status === 'warning').length;
    const warnings = warned === 0 ? '' : `, ${warned} warning(s): see the fix under each`;
    process.stderr.write(
      failed === 0 ? `all checks passed${warnings}\n` : `${failed} check(s) failed${warnings}\n`,
    );
    if (failed > 0) process.exitCode = 1;
  });
}
