import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListStreamsCommand,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type StreamStatus,
} from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  recordDistributionFinding,
  recordSizeFinding,
  type StreamFinding,
  type StreamLocation,
  type StreamRuleDestination,
  type StreamSettings,
  streamKeyFinding,
  streamKeyReference,
} from '../core/stream-rules.js';
import type { StreamTarget } from './aws-clients.js';
import { describeError } from './errors.js';

/**
 * The destination connection check: what the source page's platform does when a destination is
 * configured ("checks the permissions"), with the exporter's own credentials.
 *
 * Used by the deploy-time connection-check custom resource and by the `validate` CLI command
 * (which adds the PutRecords probe). Read-only: it never writes a record to the customer's stream.
 */

/** The checks, in the order they run. */
export type ConnectionCheckName = 'list-streams' | 'stream-exists' | 'stream-active';

export type ConnectionCheckStatus = 'passed' | 'failed' | 'skipped';

export interface ConnectionCheckResult {
  readonly check: ConnectionCheckName;
  readonly status: ConnectionCheckStatus;
  /** One sentence: what was found and, on failure, what to do. */
  readonly message: string;
}

export interface StreamConnectionReport {
  readonly streamName: string;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly ConnectionCheckResult[];
}

export interface CheckStreamConnectionOptions {
  /** A client for the stream's region, holding the credentials the exporter writes with. */
  readonly client: KinesisClient;
  readonly streamName: string;
  /**
   * Pages of ListStreams to read before giving up (100 names a page).
   * @default 50
   */
  readonly maxPages?: number;
}

const PAGE_SIZE = 100;

/** Statuses in which a stream accepts PutRecord/PutRecords. */
const WRITABLE: ReadonlySet<StreamStatus> = new Set<StreamStatus>(['ACTIVE', 'UPDATING']);

/**
 * Checks that the credentials behind `client` may call `kinesis:ListStreams`, that `streamName` is
 * among the streams listed, and that it is in a writable status.
 *
 * The status comes from ListStreams' `StreamSummaries`; when the service (or an emulator) does not
 * return them, from DescribeStreamSummary, and the check is skipped when that call is not allowed —
 * the exporter needs only ListStreams, PutRecord and PutRecords.
 *
 * Never throws for an AWS error: every failure is a failed check with the error's name and message.
 */
export async function checkStreamConnection(
  options: CheckStreamConnectionOptions,
): Promise<StreamConnectionReport> {
  const { client, streamName } = options;
  const maxPages = options.maxPages ?? 50;
  const checks: ConnectionCheckResult[] = [];
  const done = (): StreamConnectionReport => ({
    streamName,
    ok: checks.every((c) => c.status !== 'failed'),
    checks,
  });

  let listed: ListedStream | undefined;
  let pages = 0;
  try {
    listed = await findInListStreams(client, streamName, maxPages, () => {
      pages += 1;
    });
  } catch (error) {
    checks.push({
      check: 'list-streams',
      status: 'failed',
      message: `kinesis:ListStreams failed (${describeError(error)}); allow kinesis:ListStreams on "*" for the exporter's credentials`,
    });
    checks.push(skipped('stream-exists', 'not checked: ListStreams failed'));
    checks.push(skipped('stream-active', 'not checked: ListStreams failed'));
    return done();
  }
  checks.push({
    check: 'list-streams',
    status: 'passed',
    message: `kinesis:ListStreams allowed (${pages} page${pages === 1 ? '' : 's'} read)`,
  });

  if (listed === undefined) {
    checks.push({
      check: 'stream-exists',
      status: 'failed',
      message: `stream "${streamName}" is not among the streams these credentials list in this account and region; create it, or fix streamName, region or accountId in the config`,
    });
    checks.push(skipped('stream-active', 'not checked: the stream was not found'));
    return done();
  }
  checks.push({ check: 'stream-exists', status: 'passed', message: `stream "${streamName}" exists` });

  let status = listed.status;
  if (status === undefined) {
    try {
      const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      status = summary.StreamDescriptionSummary?.StreamStatus;
    } catch (error) {
      checks.push(
        skipped(
          'stream-active',
          `status not checked: ListStreams returned no summaries and DescribeStreamSummary failed (${describeError(error)})`,
        ),
      );
      return done();
    }
  }
  checks.push(
    status !== undefined && WRITABLE.has(status)
      ? { check: 'stream-active', status: 'passed', message: `stream "${streamName}" is ${status}` }
      : {
          check: 'stream-active',
          status: 'failed',
          message: `stream "${streamName}" is ${status ?? 'in an unknown status'}, not ACTIVE: records cannot be written to it; wait until it is ACTIVE or point the destination to another stream`,
        },
  );
  return done();
}

/** One line per check, e.g. for a CloudFormation failure reason or the CLI. */
export function formatConnectionReport(report: StreamConnectionReport): string {
  return report.checks.map((c) => `${c.status.toUpperCase()} ${c.check}: ${c.message}`).join('\n');
}

interface ListedStream {
  readonly status?: StreamStatus;
}

async function findInListStreams(
  client: KinesisClient,
  streamName: string,
  maxPages: number,
  onPage: () => void,
): Promise<ListedStream | undefined> {
  let nextToken: string | undefined;
  let exclusiveStart: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    // NextToken cannot be combined with other parameters; older endpoints only page by name.
    const response = await client.send(
      new ListStreamsCommand(
        nextToken !== undefined
          ? { NextToken: nextToken }
          : {
              Limit: PAGE_SIZE,
              ...(exclusiveStart === undefined ? {} : { ExclusiveStartStreamName: exclusiveStart }),
            },
      ),
    );
    onPage();
    const names = response.StreamNames ?? [];
    if (names.includes(streamName)) {
      const summary = response.StreamSummaries?.find((s) => s.StreamName === streamName);
      return summary?.StreamStatus === undefined ? {} : { status: summary.StreamStatus };
    }
    if (response.HasMoreStreams !== true || names.length === 0) return undefined;
    nextToken = response.NextToken;
    exclusiveStart = names[names.length - 1];
  }
  return undefined;
}

function skipped(check: ConnectionCheckName, message: string): ConnectionCheckResult {
  return { check, status: 'skipped', message };
}

/** A hash key above 2^128-1 that still matches the API's ExplicitHashKey pattern `0|([1-9]\d{0,38})`. */
export const PROBE_EXPLICIT_HASH_KEY = '9'.repeat(39);
/** The partition key of the probe entry (never stored). */
export const PROBE_PARTITION_KEY = 'kinesis-destination-validate';

/** The PutRecords probe's answer, or the error it got. */
export type PutRecordsProbeOutcome =
  | { readonly ok: true; readonly response: PutRecordsCommandOutput }
  | { readonly ok: false; readonly error: unknown };

/**
 * The PutRecords permission probe: whether the credentials behind `client` may put to the stream,
 * without writing to it.
 *
 * An empty `Records` list is no proof: it fails the request model's validation (`ValidationException`,
 * "Records … length greater than or equal to 1"), which AWS front ends run before authorization —
 * kinesalite does the same, before it even looks the stream up — so it answers alike with and
 * without the permission. The probe instead sends ONE well-formed entry whose `ExplicitHashKey` is
 * 2^128-scale (39 nines): it passes model validation, is authorized against `kinesis:PutRecords` on
 * the stream, and is then rejected by the service with `InvalidArgumentException` ("ExplicitHashKey
 * must be in the range: [0, 2^128-1]") because no shard owns that hash key — before any record is
 * stored. So `AccessDeniedException` means "not allowed", `InvalidArgumentException` means
 * "allowed", and nothing is written either way. kinesalite (the local stack) answers
 * InvalidArgumentException for the whole request, as Kinesis does; it has no IAM, so AccessDenied
 * is covered by mocks. Never throws.
 */
export async function probePutRecords(
  client: KinesisClient,
  target: StreamTarget,
): Promise<PutRecordsProbeOutcome> {
  try {
    const response = await client.send(
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
    return { ok: true, response };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A stream's description (DescribeStreamSummary) as the checks read it, or why it could not be read. */
export type StreamDescription =
  | { readonly ok: true; readonly status: StreamStatus | undefined; readonly settings: StreamSettings }
  | { readonly ok: false; readonly error: unknown; readonly missing: boolean };

/**
 * Reads a stream's status and what the stream rules judge (core/stream-rules.ts): its encryption and
 * key, record distribution strategy and largest record. Never throws: a refused or failed call (or an
 * answer without a summary) comes back with `ok: false`; `missing` when the stream does not exist.
 */
export async function describeStream(
  client: KinesisClient,
  target: StreamTarget,
): Promise<StreamDescription> {
  try {
    const response = await client.send(new DescribeStreamSummaryCommand(target));
    const summary = response?.StreamDescriptionSummary;
    if (summary === undefined) {
      return { ok: false, error: new Error('DescribeStreamSummary returned no summary'), missing: false };
    }
    return {
      ok: true,
      status: summary.StreamStatus,
      settings: {
        streamArn: summary.StreamARN,
        encryptionType: summary.EncryptionType,
        keyId: summary.KeyId,
        recordDistributionStrategy: summary.RecordDistributionStrategy,
        maxRecordSizeInKiB: summary.MaxRecordSizeInKiB,
      },
    };
  } catch (error) {
    return { ok: false, error, missing: (error as { name?: string }).name === 'ResourceNotFoundException' };
  }
}

/**
 * The key ARN an alias names (kms:DescribeKey), or undefined when it cannot be read (no permission,
 * no such alias). Never throws.
 */
export async function resolveKeyAlias(kms: KMSClient, alias: string): Promise<string | undefined> {
  try {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return KeyMetadata?.Arn;
  } catch {
    // Not resolvable with these credentials: the rule reports the key as not compared.
    return undefined;
  }
}

/** What the stream rules found, and the stream's customer-managed key when known. */
export interface StreamRulesOutcome {
  readonly findings: readonly StreamFinding[];
  /** The key the stream encrypts with, as an ARN (for the exporter's simulated kms:GenerateDataKey). */
  readonly streamKeyArn?: string;
}

/**
 * Judges a described stream by the stream rules (core/stream-rules.ts): its key against the
 * destination's `kmsKeyArn` (an alias resolved with kms:DescribeKey when `kms` is given), its record
 * distribution strategy, and its largest record. Never throws.
 */
export async function judgeStream(
  settings: StreamSettings,
  d: StreamRuleDestination,
  where: StreamLocation,
  kms?: () => KMSClient,
): Promise<StreamRulesOutcome> {
  const ref =
    settings.encryptionType === 'KMS' && settings.keyId !== undefined
      ? streamKeyReference(settings.keyId)
      : undefined;
  const resolved =
    ref?.kind === 'alias' && kms !== undefined ? await resolveKeyAlias(kms(), ref.alias) : undefined;
  const key = streamKeyFinding(settings, d, where, resolved);
  return {
    findings: [
      key.finding,
      recordDistributionFinding(settings, d, where),
      recordSizeFinding(settings, d, where),
    ],
    ...(key.streamKeyArn !== undefined && { streamKeyArn: key.streamKeyArn }),
  };
}
