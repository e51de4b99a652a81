import { KinesisClient, PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Command } from 'commander';
import { z } from 'zod';
import { type ConnectionCheckName, checkStreamConnection } from '../adapters/connection-check.js';
import type { Destination } from '../core/config.js';
import { loadCommandConfig, selectDestinations, withConfigOption } from './deployment.js';
import { streamArn } from './policy.js';

/**
 * `validate`: what the source page says the platform checks when a destination is configured —
 * the credentials (or the assumed role) resolve, ListStreams sees the stream, the stream is
 * ACTIVE, the principal may PutRecords to it — plus the stream's KMS key, if any. Nothing is
 * written to the stream.
 *
 * ListStreams / stream-exists / stream-active reuse `checkStreamConnection`
 * (adapters/connection-check.ts), the deploy-time connection check's code.
 *
 * The PutRecords permission probe. An empty `Records` list is no proof: it fails the request
 * model's validation (`ValidationException`, "Records … length greater than or equal to 1"),
 * which AWS front ends run before authorization — kinesalite does the same, before it even
 * looks the stream up — so it answers alike with and without the permission. The probe instead
 * sends ONE well-formed entry whose `ExplicitHashKey` is 2^128-scale (39 nines): it passes model
 * validation, is authorized against `kinesis:PutRecords` on the stream, and is then rejected by
 * the service with `InvalidArgumentException` ("ExplicitHashKey must be in the range:
 * [0, 2^128-1]") because no shard owns that hash key — before any record is stored. So
 * `AccessDeniedException` means "not allowed", `InvalidArgumentException` means "allowed", and
 * nothing is written either way. kinesalite (the local stack) answers InvalidArgumentException
 * for the whole request, as Kinesis does; it has no IAM, so AccessDenied is covered by mocks.
 */

/** A hash key above 2^128-1 that still matches the API's ExplicitHashKey pattern `0|([1-9]\d{0,38})`. */
export const PROBE_EXPLICIT_HASH_KEY = '9'.repeat(39);
/** The partition key of the probe entry (never stored). */
export const PROBE_PARTITION_KEY = 'kinesis-destination-validate';

export type ValidateCheckName = 'credentials' | ConnectionCheckName | 'put-records' | 'kms-key';

/** One row of the report. */
export interface ValidateCheck {
  readonly destinationId: string;
  readonly check: ValidateCheckName;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** What was found. */
  readonly detail: string;
  /** What to do, on failure. */
  readonly fix?: string;
}

/** Static credentials (an assumed role's, or the access key from the Secrets Manager secret). */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Client factories; tests mock the client classes (aws-sdk-client-mock). */
export interface ValidateClients {
  readonly sts: (region: string, credentials?: StaticCredentials) => STSClient;
  readonly kinesis: (region: string, credentials?: StaticCredentials) => KinesisClient;
  readonly kms: (region: string, credentials?: StaticCredentials) => KMSClient;
  readonly secrets: (region: string) => SecretsManagerClient;
}

/** Clients from the SDK environment (`AWS_ENDPOINT_URL_<SERVICE>` honoured); Kinesis over HTTP/1.1. */
export const defaultValidateClients: ValidateClients = {
  sts: (region, credentials) =>
    new STSClient({ region, ...(credentials === undefined ? {} : { credentials }) }),
  kinesis: (region, credentials) =>
    new KinesisClient({
      region,
      // HTTP/1.1: the local emulators do not speak HTTP/2, which client-kinesis uses by default.
      requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 15_000 }),
      ...(credentials === undefined ? {} : { credentials }),
    }),
  kms: (region, credentials) =>
    new KMSClient({ region, ...(credentials === undefined ? {} : { credentials }) }),
  secrets: (region) => new SecretsManagerClient({ region }),
};

/** Options of {@link validateDestination}. */
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

const secretSchema = z.object({
  accessKeyId: z.string().min(16),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
});

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return 'Error';
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'InvalidAccessKeyId',
]);

function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

interface ResolvedPrincipal {
  readonly credentials: StaticCredentials | undefined;
  /** The account the credentials belong to, when known. */
  readonly account: string | undefined;
}

async function resolvePrincipal(
  d: Destination,
  clients: ValidateClients,
  push: (c: Omit<ValidateCheck, 'destinationId'>) => void,
): Promise<ResolvedPrincipal | undefined> {
  const sts = clients.sts(d.region);
  if (d.roleArn !== undefined) {
    try {
      const { Credentials, AssumedRoleUser } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: d.roleArn,
          RoleSessionName: `kd-validate-${d.id}`.slice(0, 64),
          DurationSeconds: 900,
          ...(d.externalId === undefined ? {} : { ExternalId: d.externalId }),
        }),
      );
      if (Credentials?.AccessKeyId === undefined || Credentials.SecretAccessKey === undefined) {
        throw new Error(`AssumeRole on ${d.roleArn} returned no credentials`);
      }
      push({
        check: 'credentials',
        status: 'passed',
        detail: `assumed ${AssumedRoleUser?.Arn ?? d.roleArn}${d.externalId === undefined ? '' : ' with the external id'}`,
      });
      return {
        credentials: {
          accessKeyId: Credentials.AccessKeyId,
          secretAccessKey: Credentials.SecretAccessKey,
          ...(Credentials.SessionToken === undefined ? {} : { sessionToken: Credentials.SessionToken }),
        },
        account: d.roleArn.split(':')[4],
      };
    } catch (error) {
      const name = errorName(error);
      push({
        check: 'credentials',
        status: 'failed',
        detail: `sts:AssumeRole on ${d.roleArn} failed (${describeError(error)})`,
        fix: BAD_CREDENTIALS.has(name)
          ? 'the credentials that assume the role are invalid or expired: configure valid AWS credentials (AWS_PROFILE, aws sso login, …)'
          : `in the role's account, let this principal assume the role: its trust policy must name the exporter's role${d.externalId === undefined ? '' : ' with the condition sts:ExternalId = the configured externalId'} (\`npm run cli -- policy --destination ${d.id}\` prints it), and the caller needs sts:AssumeRole on the role`,
      });
      return undefined;
    }
  }

  let credentials: StaticCredentials | undefined;
  if (d.credentialsSecretArn !== undefined) {
    try {
      const secrets = clients.secrets(regionOfArn(d.credentialsSecretArn) ?? d.region);
      const { SecretString } = await secrets.send(
        new GetSecretValueCommand({ SecretId: d.credentialsSecretArn }),
      );
      const parsed = secretSchema.safeParse(JSON.parse(SecretString ?? '{}'));
      if (!parsed.success) throw new Error('the secret is not JSON {"accessKeyId": …, "secretAccessKey": …}');
      credentials = parsed.data;
    } catch (error) {
      push({
        check: 'credentials',
        status: 'failed',
        detail: `could not read the access key from ${d.credentialsSecretArn} (${describeError(error)})`,
        fix: 'store JSON {"accessKeyId": "...", "secretAccessKey": "..."} in the secret and allow secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)',
      });
      return undefined;
    }
  }
  try {
    const client = credentials === undefined ? sts : clients.sts(d.region, credentials);
    const identity = await client.send(new GetCallerIdentityCommand({}));
    push({
      check: 'credentials',
      status: 'passed',
      detail: `${credentials === undefined ? 'credentials' : 'the access key from the secret'} resolve to ${identity.Arn ?? 'an identity'}`,
    });
    return { credentials, account: identity.Account };
  } catch (error) {
    push({
      check: 'credentials',
      status: 'failed',
      detail: `sts:GetCallerIdentity failed (${describeError(error)})`,
      fix:
        credentials === undefined
          ? 'configure valid AWS credentials for the CLI (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and AWS_REGION'
          : 'the access key in the secret is invalid, deactivated or deleted: create a new key for the IAM user and store it in the secret',
    });
    return undefined;
  }
}

const CONNECTION_FIXES: Record<ConnectionCheckName, string> = {
  'list-streams':
    'allow kinesis:ListStreams on "*" to the exporter (`npm run cli -- policy --destination <id>`)',
  'stream-exists': 'create the stream, or fix streamName / region / accountId in the config',
  'stream-active':
    'wait until the stream is ACTIVE (it may be CREATING or DELETING), or point the destination to another stream',
};

function splitMessage(message: string): string {
  // connection-check messages end with "; <fix>"; the fix column carries ours.
  const cut = message.lastIndexOf('; ');
  return cut > 0 ? message.slice(0, cut) : message;
}

/** Interprets the PutRecords probe's answer. Exported for tests. */
export function interpretProbe(
  outcome: { ok: true; response: PutRecordsCommandOutput } | { ok: false; error: unknown },
  d: Destination,
): Omit<ValidateCheck, 'destinationId' | 'check'> {
  const policyFix = `allow kinesis:PutRecord and kinesis:PutRecords on the stream to the exporter: \`npm run cli -- policy --destination ${d.id}\` prints the policy`;
  const code = outcome.ok ? outcome.response.Records?.[0]?.ErrorCode : errorName(outcome.error);
  const message = outcome.ok
    ? (outcome.response.Records?.[0]?.ErrorMessage ?? '')
    : describeError(outcome.error);
  if (outcome.ok && (outcome.response.FailedRecordCount ?? 0) === 0) {
    return {
      status: 'passed',
      detail: `kinesis:PutRecords allowed; the service accepted the probe entry (partition key ${PROBE_PARTITION_KEY}) — consumers may see one 1-byte record`,
    };
  }
  if (code === 'InvalidArgumentException') {
    return {
      status: 'passed',
      detail:
        'kinesis:PutRecords allowed (the probe passed authorization and was refused for its out-of-range hash key; nothing was written)',
    };
  }
  if (code !== undefined && /AccessDenied/.test(code) && !code.startsWith('KMS')) {
    return { status: 'failed', detail: `kinesis:PutRecords denied (${message})`, fix: policyFix };
  }
  if (code?.startsWith('KMS')) {
    return {
      status: 'failed',
      detail: `the stream's KMS key refused the write (${message})`,
      fix: `allow kms:GenerateDataKey on the stream's key to the exporter (in its IAM policy and the key policy), and make sure the key is enabled${d.kmsKeyArn === undefined ? '; set kmsKeyArn in the config so that `policy` includes it' : ''}`,
    };
  }
  if (code === 'ResourceNotFoundException') {
    return {
      status: 'failed',
      detail: `the stream was not found for PutRecords (${message})`,
      fix: CONNECTION_FIXES['stream-exists'],
    };
  }
  return {
    status: 'failed',
    detail: `the PutRecords probe failed unexpectedly (${message})`,
    fix: 'check the stream and the exporter credentials, then run validate again',
  };
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
      push({
        check: c.check,
        status: c.status,
        detail: c.status === 'failed' ? splitMessage(c.message) : c.message,
        ...(c.status === 'failed' ? { fix: CONNECTION_FIXES[c.check].replace('<id>', d.id) } : {}),
      });
      if (c.check === 'stream-exists' && c.status !== 'passed') streamFound = false;
      if (c.check === 'list-streams' && c.status === 'failed') streamFound = false;
    }
  }

  if (!streamFound) {
    push({ check: 'put-records', status: 'skipped', detail: 'not checked: the stream was not found' });
  } else {
    let outcome: Parameters<typeof interpretProbe>[0];
    try {
      const target =
        crossAccount && d.accountId !== undefined
          ? { StreamARN: streamArn(d, d.accountId) }
          : { StreamName: d.streamName };
      const response = await kinesis.send(
        new PutRecordsCommand({
          ...target,
          Records: [
            {
              Data: new Uint8Array([0]),
              PartitionKey: PROBE_PARTITION_KEY,
              ExplicitHashKey: PROBE_EXPLICIT_HASH_KEY,
            },
          ],
        }),
      );
      outcome = { ok: true, response };
    } catch (error) {
      outcome = { ok: false, error };
    }
    push({ check: 'put-records', ...interpretProbe(outcome, d) });
  }

  if (d.kmsKeyArn !== undefined) {
    if (options.skipKms !== undefined) push({ check: 'kms-key', status: 'skipped', detail: options.skipKms });
    else push({ check: 'kms-key', ...(await checkKey(d, d.kmsKeyArn, clients, principal.credentials)) });
  }
  return rows;
}

async function checkKey(
  d: Destination,
  keyArn: string,
  clients: ValidateClients,
  credentials: StaticCredentials | undefined,
): Promise<Omit<ValidateCheck, 'destinationId' | 'check'>> {
  const kms = clients.kms(regionOfArn(keyArn) ?? d.region, credentials);
  let state: string | undefined;
  try {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
    state = KeyMetadata?.KeyState;
  } catch {
    // kms:DescribeKey is not needed to write; GenerateDataKey below decides.
  }
  if (state !== undefined && state !== 'Enabled') {
    return {
      status: 'failed',
      detail: `the key is ${state}`,
      fix:
        state === 'PendingDeletion'
          ? 'cancel the key deletion (kms cancel-key-deletion) and enable it'
          : 'enable the key (kms enable-key), or point kmsKeyArn to the stream’s current key',
    };
  }
  try {
    await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256' }));
    return { status: 'passed', detail: 'kms:GenerateDataKey allowed on the key' };
  } catch (error) {
    const name = errorName(error);
    const fix =
      name === 'AccessDeniedException'
        ? 'allow kms:GenerateDataKey on the key to the exporter, in its IAM policy (`policy --destination`) and in the key policy'
        : name === 'DisabledException'
          ? 'enable the key (kms enable-key)'
          : name === 'NotFoundException'
            ? 'fix kmsKeyArn in the config: no such key in that account and region'
            : name === 'KMSInvalidStateException'
              ? 'the key is pending deletion or import: cancel the deletion or finish the import'
              : 'check the key and the exporter credentials, then run validate again';
    return { status: 'failed', detail: `kms:GenerateDataKey failed (${describeError(error)})`, fix };
  }
}

/** Formats the report: one row per check, the fix under each failure. */
export function formatValidationTable(rows: readonly ValidateCheck[]): string {
  const cells = rows.map((r) => [r.status.toUpperCase(), r.destinationId, r.check, r.detail]);
  const header = ['RESULT', 'DESTINATION', 'CHECK', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const render = (c: readonly string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
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
  if (env.AWS_ENDPOINT_URL_KINESIS === undefined || env.AWS_ENDPOINT_URL !== undefined) return {};
  return {
    ...(env.AWS_ENDPOINT_URL_STS === undefined
      ? { skipCredentials: 'Kinesis is a local emulator and no STS endpoint is set (AWS_ENDPOINT_URL_STS)' }
      : {}),
    ...(env.AWS_ENDPOINT_URL_KMS === undefined
      ? { skipKms: 'Kinesis is a local emulator and no KMS endpoint is set (AWS_ENDPOINT_URL_KMS)' }
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
