import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  type ConnectionCheckName,
  type ConnectionCheckResult,
  PROBE_PARTITION_KEY,
  type PutRecordsProbeOutcome,
} from '../adapters/connection-check.js';
import {
  type CredentialSource,
  credentialSourceOf,
  resolveCredentials,
  type StaticCredentials,
} from '../adapters/destination-credentials.js';
import { describeError } from '../adapters/errors.js';
import type { Destination } from '../core/config.js';
import type { StreamRuleName } from '../core/stream-rules.js';

/**
 * The rows of `validate` (cli/validate.ts runs them in order): each check's finding and, on
 * failure, what to do.
 */

export type ValidateCheckName =
  | 'credentials'
  | ConnectionCheckName
  | StreamRuleName
  | 'put-records'
  | 'kms-key';

/** One row of the report. */
export interface ValidateCheck {
  readonly destinationId: string;
  readonly check: ValidateCheckName;
  /** `warning`: something to fix that does not fail the run (exit code 0). */
  readonly status: 'passed' | 'failed' | 'skipped' | 'warning';
  /** What was found. */
  readonly detail: string;
  /** What to do, on failure. */
  readonly fix?: string;
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
function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return 'Error';
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

/** The credentials the checks after `credentials` use, and their account. */
export interface ResolvedPrincipal {
  readonly credentials: StaticCredentials | undefined;
  /** The account the credentials belong to, when known. */
  readonly account: string | undefined;
}

/**
 * The `credentials` row: resolves the exporter's credentials as the export function does (role,
 * secret, or the caller's own) and the account they belong to. Undefined when they do not resolve.
 */
export async function resolvePrincipal(
  d: Destination,
  clients: ValidateClients,
  push: (c: Omit<ValidateCheck, 'destinationId'>) => void,
): Promise<ResolvedPrincipal | undefined> {
  const sts = clients.sts(d.region);
  const source = credentialSourceOf(d);
  let credentials: StaticCredentials | undefined;
  if (source !== undefined) {
    try {
      const resolved = await resolveCredentials(source, {
        sessionName: 'kd-validate',
        durationSeconds: 900,
        sts: () => sts,
        secrets: () => clients.secrets(regionOfArn(d.credentialsSecretArn ?? '') ?? d.region),
      });
      if (source.kind === 'assume-role') {
        push({
          check: 'credentials',
          status: 'passed',
          detail: `assumed ${resolved.assumedRoleArn ?? source.roleArn}${d.externalId === undefined ? '' : ' with the external id'}`,
        });
        return { credentials: resolved.credentials, account: source.roleArn.split(':')[4] };
      }
      credentials = resolved.credentials;
    } catch (error) {
      push({ check: 'credentials', status: 'failed', ...credentialsFailure(d, source, error) });
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

/** The row of a role that cannot be assumed, or a secret that cannot be read. */
function credentialsFailure(
  d: Destination,
  source: CredentialSource,
  error: unknown,
): Pick<ValidateCheck, 'detail' | 'fix'> {
  if (source.kind === 'access-key-secret') {
    return {
      detail: `could not read the access key from ${source.secretArn} (${describeError(error)})`,
      fix: 'store JSON {"accessKeyId": "...", "secretAccessKey": "..."} in the secret and allow secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)',
    };
  }
  return {
    detail: `sts:AssumeRole on ${source.roleArn} failed (${describeError(error)})`,
    fix: BAD_CREDENTIALS.has(errorName(error))
      ? 'the credentials that assume the role are invalid or expired: configure valid AWS credentials (AWS_PROFILE, aws sso login, …)'
      : `in the role's account, let this principal assume the role: its trust policy must name the pipeline's export and connection-check roles${d.externalId === undefined ? '' : ' with the condition sts:ExternalId = the configured externalId'} (\`npm run cli -- policy --trust-policy --destination ${d.id} --pipeline-account <id> --region <region>\` prints it), and the caller needs sts:AssumeRole on the role`,
  };
}

const CONNECTION_FIXES: Record<ConnectionCheckName, string> = {
  'list-streams':
    'allow kinesis:ListStreams on "*" to the exporter (`npm run cli -- policy --destination <id>`)',
  'stream-exists': 'create the stream, or fix streamName / region / accountId in the config',
  'stream-active':
    'wait until the stream is ACTIVE (it may be CREATING or DELETING), or point the destination to another stream',
};

/** A row of the shared connection check, with our fix on failure. */
export function connectionRow(
  c: ConnectionCheckResult,
  d: Destination,
): Omit<ValidateCheck, 'destinationId'> {
  return {
    check: c.check,
    status: c.status,
    detail: c.status === 'failed' ? splitMessage(c.message) : c.message,
    ...(c.status === 'failed' ? { fix: CONNECTION_FIXES[c.check].replace('<id>', d.id) } : {}),
  };
}

function splitMessage(message: string): string {
  // connection-check messages end with "; <fix>"; the fix column carries ours.
  const cut = message.lastIndexOf('; ');
  return cut > 0 ? message.slice(0, cut) : message;
}

/** The `put-records` row: the PutRecords probe's answer. */
export function interpretProbe(
  outcome: PutRecordsProbeOutcome,
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

/** The `kms-key` row: the key is enabled and the principal may GenerateDataKey with it. */
export async function checkKey(
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
        ? 'allow kms:GenerateDataKey on the key to the exporter, in its IAM policy (`policy --destination`) and in the key policy (a grant that allows it only through Kinesis — a kms:ViaService condition — refuses this direct call: then this row alone is not conclusive)'
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
