import type { Command } from 'commander';
import { checkStreamConnection, probePutRecords } from '../adapters/connection-check.js';
import type { Destination } from '../core/config.js';
import { ENDPOINT_VARIABLE, serviceEndpointVariable } from '../core/environment-variables.js';
import { streamArn } from '../core/stream-arn.js';
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
 * ACTIVE, the principal may PutRecords to it — plus the stream's KMS key, if any. Nothing is
 * written to the stream.
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
 * only repeat its error); a missing stream skips the status and PutRecords checks.
 * Never throws for an AWS error: each becomes a failed row with its fix.
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
        'put-records',
        ...(d.kmsKeyArn === undefined ? [] : (['kms-key'] as const)),
      ]);
      return rows;
    }
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

  if (!streamFound) {
    push({ check: 'put-records', status: 'skipped', detail: 'not checked: the stream was not found' });
  } else {
    const target =
      crossAccount && d.accountId !== undefined
        ? { StreamARN: streamArn(d, d.accountId) }
        : { StreamName: d.streamName };
    const outcome = await probePutRecords(kinesis, target);
    push({ check: 'put-records', ...interpretProbe(outcome, d) });
  }

  if (d.kmsKeyArn !== undefined) {
    if (options.skipKms !== undefined) push({ check: 'kms-key', status: 'skipped', detail: options.skipKms });
    else push({ check: 'kms-key', ...(await checkKey(d, d.kmsKeyArn, clients, principal.credentials)) });
  }
  return rows;
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
        'check each destination as the platform does: credentials, ListStreams, stream ACTIVE, PutRecords permission, KMS key',
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
    process.stderr.write(failed === 0 ? 'all checks passed\n' : `${failed} check(s) failed\n`);
    if (failed > 0) process.exitCode = 1;
  });
}
