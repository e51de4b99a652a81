import type { KinesisClient, StreamStatus } from '@aws-sdk/client-kinesis';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { StreamTarget } from '../../adapters/aws-clients.js';
import { checkStreamConnection, describeStream, judgeStream } from '../../adapters/connection-check.js';
import {
  credentialSourceOf,
  resolveCredentials,
  type StaticCredentials,
} from '../../adapters/destination-credentials.js';
import { describeError } from '../../adapters/errors.js';
import { CredentialRedactor } from '../../core/redaction.js';
import {
  connectionCheckSessionPolicy,
  type SessionPolicyTarget,
  sessionPolicyTargetOf,
  sessionPolicyText,
} from '../../core/session-policies.js';
import { streamAccountOf, streamArn } from '../../core/stream-arn.js';
import { type StreamRuleName, streamKeyReference } from '../../core/stream-rules.js';
import type { CheckedDestination } from './properties.js';

/**
 * The stream side of the deploy-time connection check, per destination: the stream found and
 * writable (ListStreams with the exporter's credentials as the source page's platform does, or
 * DescribeStreamSummary with the export role's own identity), then what its description reveals that
 * would break the pipeline (core/stream-rules.ts: the KMS key against `kmsKeyArn`, a record
 * distribution strategy that ignores partition keys, the largest record).
 */

/** Clients the stream checks use; the handler builds them once, tests inject them. */
export interface ConnectionCheckDeps {
  readonly sts: STSClient;
  readonly secrets: SecretsManagerClient;
  readonly kinesisFor: (region: string, credentials?: StaticCredentials) => KinesisClient;
  /**
   * KMS clients, to resolve a stream key named by an alias (kms:DescribeKey).
   * @default - aliases are not resolved: such a key is reported as not compared (a warning)
   */
  readonly kmsFor?: (region: string, credentials?: StaticCredentials) => KMSClient;
  /**
   * Takes the credential values the checks obtain (and every access key id and session token) out of
   * the report's messages. @default - a new one per call of {@link checkDestinations}
   */
  readonly redactor?: CredentialRedactor;
}

/** One line of a destination's report. */
export interface DestinationCheckResult {
  /** `export-role`, `list-streams`, `stream-exists`, `stream-active`, `stream-key`, `record-distribution`, `record-size`. */
  readonly check: string;
  /** `warning`: something to fix that does not break the exports; the deployment goes on. */
  readonly status: 'passed' | 'failed' | 'skipped' | 'warning';
  /** One sentence: what was found and, on failure, what to do. */
  readonly message: string;
}

/** What was checked for one stream. */
export interface DestinationStreamReport {
  readonly streamName: string;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly DestinationCheckResult[];
}

/** The report of one destination. */
export interface DestinationReport {
  readonly destinationId: string;
  readonly report: DestinationStreamReport;
  /**
   * The customer-managed key the exporter writes with, as far as the check can tell: the stream's own
   * (from its description), else the configured `kmsKeyArn`; undefined when the stream needs none.
   * The export role's kms:GenerateDataKey is simulated on it.
   */
  readonly keyArn?: string;
}

/** Statuses in which a stream accepts PutRecord/PutRecords. */
const WRITABLE: ReadonlySet<StreamStatus> = new Set<StreamStatus>(['ACTIVE', 'UPDATING']);

const RULES: readonly StreamRuleName[] = ['stream-key', 'record-distribution', 'record-size'];

/** A report of `checks`; ok when none failed. */
export function report(
  streamName: string,
  checks: readonly DestinationCheckResult[],
): DestinationStreamReport {
  return { streamName, ok: checks.every((c) => c.status !== 'failed'), checks };
}

/**
 * Checks each destination's stream with the credentials its exporter uses: the assumed
 * cross-account role (with the read-only session policy of core/session-policies.ts) or the access
 * key from the Secrets Manager secret, with ListStreams as the source page's platform does; a stream
 * written with the export role's own identity with DescribeStreamSummary (existence and status — the
 * export role's permissions are simulated separately). Then the stream rules on its description,
 * skipped (not failed) when the credentials may not describe it. Never throws for an AWS error: each
 * becomes a failed check, its message redacted.
 */
export async function checkDestinations(
  destinations: readonly CheckedDestination[],
  ownAccount: string,
  deps: ConnectionCheckDeps,
): Promise<DestinationReport[]> {
  const redactor = deps.redactor ?? new CredentialRedactor();
  const results: DestinationReport[] = [];
  for (const d of destinations) {
    const result = await checkOne(d, ownAccount, deps, redactor);
    const checks = result.report.checks.map((c) => ({ ...c, message: redactor.redact(c.message) }));
    results.push({ ...result, report: report(d.streamName, checks) });
  }
  return results;
}

async function checkOne(
  d: CheckedDestination,
  ownAccount: string,
  deps: ConnectionCheckDeps,
  redactor: CredentialRedactor,
): Promise<DestinationReport> {
  // Without a description, the configured key is the best knowledge of the exporter's key.
  const done = (
    checks: DestinationCheckResult[],
    keyArn: string | undefined = d.kmsKeyArn,
  ): DestinationReport => ({
    destinationId: d.destinationId,
    report: report(d.streamName, checks),
    ...(keyArn !== undefined && { keyArn }),
  });
  // The rules' key, even when undefined (the stream needs none): not the default of `done`.
  const withRules = (
    before: readonly DestinationCheckResult[],
    rules: { checks: DestinationCheckResult[]; keyArn: string | undefined },
  ): DestinationReport => ({
    destinationId: d.destinationId,
    report: report(d.streamName, [...before, ...rules.checks]),
    ...(rules.keyArn !== undefined && { keyArn: rules.keyArn }),
  });
  const source = credentialSourceOf({ ...d, id: d.destinationId });
  if (source === undefined) {
    const kinesis = deps.kinesisFor(d.region);
    if (d.accountId !== undefined && d.accountId !== ownAccount) {
      // Written through the stream's resource policy, which this account's role cannot read: its
      // description is read when the policy allows it, and the rules skipped when not.
      const skipped = {
        check: 'stream-exists',
        status: 'skipped' as const,
        message: `stream is in account ${d.accountId} and written through its resource policy; run "npx kinesis-destination validate" from that account`,
      };
      const arn = d.streamArn ?? streamArn(d, d.accountId);
      const rules = await streamRules(d, kinesis, { StreamARN: arn }, undefined, deps, d.accountId);
      return withRules([skipped], rules);
    }
    const described = await existenceAndStatus(d, kinesis);
    if (!described.found) return done(described.checks);
    const rules = await streamRules(d, kinesis, { StreamName: d.streamName }, undefined, deps, ownAccount);
    return withRules(described.checks, rules);
  }
  let credentials: StaticCredentials;
  try {
    const target = sessionTargetOf(d);
    const resolved = await resolveCredentials(source, {
      sessionName: 'kd-connection-check',
      durationSeconds: 900,
      // The check only reads: its session may not put, whatever the partner's role allows.
      ...(target !== undefined && { sessionPolicy: sessionPolicyText(connectionCheckSessionPolicy(target)) }),
      sts: () => deps.sts,
      secrets: () => deps.secrets,
    });
    credentials = resolved.credentials;
    redactor.remember(credentials);
  } catch (error) {
    return done([
      {
        check: 'list-streams',
        status: 'failed',
        message: `could not obtain the exporter's credentials (${describeError(error)})`,
      },
    ]);
  }
  const kinesis = deps.kinesisFor(d.region, credentials);
  const connection = await checkStreamConnection({ client: kinesis, streamName: d.streamName });
  const found = connection.checks.some((c) => c.check === 'stream-exists' && c.status === 'passed');
  if (!found) return done([...connection.checks]);
  const target = { StreamName: d.streamName };
  const rules = await streamRules(d, kinesis, target, credentials, deps, streamAccountOf(d));
  return withRules(connection.checks, rules);
}

/**
 * What the check's session may reach (core/session-policies.ts): the stream the stack resolved
 * (`streamArn`), else the stream in the role's account; undefined for a destination without a role.
 */
function sessionTargetOf(d: CheckedDestination): SessionPolicyTarget | undefined {
  const target = sessionPolicyTargetOf(d);
  return target === undefined || d.streamArn === undefined ? target : { ...target, streamArn: d.streamArn };
}

/** DescribeStreamSummary with the check's own role: the stream exists and is writable. */
async function existenceAndStatus(
  d: CheckedDestination,
  client: KinesisClient,
): Promise<{ found: boolean; checks: DestinationCheckResult[] }> {
  const described = await describeStream(client, { StreamName: d.streamName });
  if (!described.ok) {
    return {
      found: false,
      checks: [
        {
          check: 'stream-exists',
          status: 'failed',
          message: described.missing
            ? `stream "${d.streamName}" does not exist in this account and region; create it, or fix streamName, region or accountId in the config`
            : `kinesis:DescribeStreamSummary failed (${describeError(described.error)}); the connection check's role needs it on the stream (the stack grants it: redeploy)`,
        },
        { check: 'stream-active', status: 'skipped', message: 'not checked: the stream was not found' },
      ],
    };
  }
  const { status } = described;
  return {
    found: true,
    checks: [
      { check: 'stream-exists', status: 'passed', message: `stream "${d.streamName}" exists` },
      status !== undefined && WRITABLE.has(status)
        ? { check: 'stream-active', status: 'passed', message: `stream "${d.streamName}" is ${status}` }
        : {
            check: 'stream-active',
            status: 'failed',
            message: `stream "${d.streamName}" is ${status ?? 'in an unknown status'}, not ACTIVE: records cannot be written to it; wait until it is ACTIVE or point the destination to another stream`,
          },
    ],
  };
}

/**
 * The stream rules (core/stream-rules.ts) on the stream's description, read with `credentials` (the
 * check's own role when undefined). A description these credentials may not read skips the rules:
 * the source page's policy grants the exporter ListStreams, PutRecord and PutRecords only.
 */
async function streamRules(
  d: CheckedDestination,
  kinesis: KinesisClient,
  target: StreamTarget,
  credentials: StaticCredentials | undefined,
  deps: ConnectionCheckDeps,
  account: string | undefined,
): Promise<{ checks: DestinationCheckResult[]; keyArn: string | undefined }> {
  const arn = d.streamArn ?? (account === undefined ? undefined : streamArn(d, account));
  const described = await describeStream(kinesis, target);
  if (!described.ok) {
    const why = `not checked: kinesis:DescribeStreamSummary on the stream failed (${describeError(described.error)}); allow it to the ${credentials === undefined ? "connection check's role" : "destination's role"} to check the stream's key, record distribution strategy and record size`;
    return {
      checks: RULES.map((check) => ({ check, status: 'skipped', message: why })),
      keyArn: d.kmsKeyArn,
    };
  }
  const kmsFor = deps.kmsFor;
  const outcome = await judgeStream(
    described.settings,
    { id: d.destinationId, region: d.region, streamName: d.streamName, kmsKeyArn: d.kmsKeyArn },
    { streamArn: described.settings.streamArn ?? arn, account },
    kmsFor === undefined ? undefined : () => kmsFor(d.region, credentials),
  );
  const { encryptionType, keyId } = described.settings;
  const customerKey =
    encryptionType === 'KMS' && keyId !== undefined && streamKeyReference(keyId).kind !== 'aws-managed';
  return {
    checks: outcome.findings.map((f) => ({
      check: f.check,
      status: f.status,
      message: f.fix === undefined ? f.detail : `${f.detail}; ${f.fix}`,
    })),
    // An alias that could not be resolved leaves the configured key as the best knowledge.
    keyArn: customerKey ? (outcome.streamKeyArn ?? d.kmsKeyArn) : undefined,
  };
}
