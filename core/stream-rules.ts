/**
 * What a destination stream's description (Kinesis `DescribeStreamSummary`) can reveal that breaks
 * the pipeline, judged against the config: the stream's KMS key against `kmsKeyArn`, a record
 * distribution strategy that ignores partition keys, and a record size limit below the records the
 * pipeline puts. Pure; the deploy-time connection check refuses what fails, `validate` reports it
 * with the fix (lambdas/connection-check/, cli/validate*.ts).
 */

import { parseArn, partitionOfRegion } from './arn-rules.js';
import { PIPELINE_SETTINGS } from './pipeline-settings.js';

/** The fields of `StreamDescriptionSummary` the rules read (absent when the API leaves them out). */
export interface StreamSettings {
  readonly streamArn?: string | undefined;
  /** `KMS` or `NONE`. */
  readonly encryptionType?: string | undefined;
  /** As given to StartStreamEncryption: a key id, key ARN, alias name or alias ARN. */
  readonly keyId?: string | undefined;
  /** `USER_PARTITION_KEY` or `AUTO` (on-demand streams only). */
  readonly recordDistributionStrategy?: string | undefined;
  readonly maxRecordSizeInKiB?: number | undefined;
}

/** The rules, by the name their report line carries. */
export type StreamRuleName = 'stream-key' | 'record-distribution' | 'record-size';

/** One rule's finding: what was found and, unless it passed, what to do. */
export interface StreamFinding {
  readonly check: StreamRuleName;
  readonly status: 'passed' | 'failed' | 'warning';
  readonly detail: string;
  readonly fix?: string;
}

/** The destination fields the rules read. */
export interface StreamRuleDestination {
  readonly id: string;
  readonly region: string;
  readonly streamName: string;
  readonly kmsKeyArn?: string | undefined;
}

/** Where the stream is: its ARN (for the fixes' commands) and account, when known. */
export interface StreamLocation {
  /** @default - the summary's StreamARN */
  readonly streamArn?: string | undefined;
  /** The stream's account: a bare key id is a key of this account. @default - unknown */
  readonly account?: string | undefined;
}

/** The AWS managed key Kinesis encrypts with when asked for `alias/aws/kinesis`. */
const AWS_MANAGED_ALIAS = 'alias/aws/kinesis';

/** A stream's `KeyId`, as the API may give it. */
export type StreamKeyReference =
  | { readonly kind: 'aws-managed' }
  | { readonly kind: 'key-arn'; readonly arn: string }
  | { readonly kind: 'key-id'; readonly keyId: string }
  /** An alias name (`alias/orders`) or alias ARN: only kms:DescribeKey tells which key it names. */
  | { readonly kind: 'alias'; readonly alias: string };

/** Reads a stream's `KeyId`: key ARN, key id, alias name, alias ARN, or the AWS managed key. */
export function streamKeyReference(keyId: string): StreamKeyReference {
  const arn = parseArn(keyId);
  if (arn !== undefined) {
    if (arn.resource === AWS_MANAGED_ALIAS) return { kind: 'aws-managed' };
    return arn.resource.startsWith('alias/')
      ? { kind: 'alias', alias: keyId }
      : { kind: 'key-arn', arn: keyId };
  }
  if (keyId === AWS_MANAGED_ALIAS || keyId === 'aws/kinesis') return { kind: 'aws-managed' };
  return keyId.startsWith('alias/') ? { kind: 'alias', alias: keyId } : { kind: 'key-id', keyId };
}

/** The key id of a key ARN (`…:key/<id>`), lower-cased (key ids are UUIDs or `mrk-…`). */
function keyIdOf(arn: string): string | undefined {
  const resource = parseArn(arn)?.resource;
  return resource?.startsWith('key/') ? resource.slice('key/'.length).toLowerCase() : undefined;
}

/** Whether two key ARNs name one key (key ids compare without case). */
function sameKeyArn(a: string, b: string): boolean {
  const x = parseArn(a);
  const y = parseArn(b);
  return (
    x !== undefined &&
    y !== undefined &&
    x.partition === y.partition &&
    x.region === y.region &&
    x.account === y.account &&
    keyIdOf(a) !== undefined &&
    keyIdOf(a) === keyIdOf(b)
  );
}

/** The stream's key as an ARN, when the summary's reference (or the alias's resolution) says. */
function streamKeyArnOf(
  ref: StreamKeyReference,
  d: StreamRuleDestination,
  where: StreamLocation,
  resolvedAliasArn: string | undefined,
): string | undefined {
  switch (ref.kind) {
    case 'key-arn':
      return ref.arn;
    case 'key-id':
      return where.account === undefined
        ? undefined
        : `arn:${partitionOfRegion(d.region)}:kms:${d.region}:${where.account}:key/${ref.keyId}`;
    case 'alias':
      return resolvedAliasArn;
    case 'aws-managed':
      return undefined;
  }
}

/** The outcome of {@link streamKeyFinding}: the finding, and the stream's key ARN when known. */
export interface StreamKeyOutcome {
  readonly finding: StreamFinding;
  /** The customer-managed key the stream encrypts with, as an ARN: the one the exporter must be allowed to use. */
  readonly streamKeyArn?: string;
}

function streamArnFor(settings: StreamSettings, d: StreamRuleDestination, where: StreamLocation): string {
  return where.streamArn ?? settings.streamArn ?? `<the ARN of stream ${d.streamName}>`;
}

/**
 * The stream's key against the destination's `kmsKeyArn`. Fails a KMS-encrypted stream under a
 * customer-managed key without `kmsKeyArn` (the exporter is granted no kms:GenerateDataKey on it), a
 * `kmsKeyArn` that is not the stream's key, and a `kmsKeyArn` on a stream under the AWS managed key
 * (the exporter's session may then use only the configured key): each of these makes every export
 * fail with `KMSAccessDenied`. Warns when the stream names its key by an alias that was not resolved
 * (`resolvedAliasArn`: kms:DescribeKey's answer), or when a key is configured for a stream that is
 * not encrypted.
 */
export function streamKeyFinding(
  settings: StreamSettings,
  d: StreamRuleDestination,
  where: StreamLocation = {},
  resolvedAliasArn?: string,
): StreamKeyOutcome {
  const configured = d.kmsKeyArn;
  const streamArn = streamArnFor(settings, d, where);
  const found = (status: StreamFinding['status'], detail: string, fix?: string): StreamFinding => ({
    check: 'stream-key',
    status,
    detail,
    ...(fix !== undefined && { fix }),
  });
  if (settings.encryptionType !== 'KMS' || settings.keyId === undefined) {
    return {
      finding:
        configured === undefined
          ? found('passed', `stream "${d.streamName}" is not encrypted with KMS: no key is used`)
          : found(
              'warning',
              `stream "${d.streamName}" is not encrypted with KMS, but kmsKeyArn names ${configured}: nothing uses that key`,
              `remove kmsKeyArn from destination "${d.id}", or encrypt the stream with the key: aws kinesis start-stream-encryption --stream-arn ${streamArn} --encryption-type KMS --key-id ${configured} --region ${d.region}`,
            ),
    };
  }
  const ref = streamKeyReference(settings.keyId);
  if (ref.kind === 'aws-managed') {
    return {
      finding:
        configured === undefined
          ? found(
              'passed',
              `stream "${d.streamName}" is encrypted with the AWS managed key aws/kinesis: no grant is needed`,
            )
          : found(
              'failed',
              `stream "${d.streamName}" is encrypted with the AWS managed key aws/kinesis, not with the configured kmsKeyArn ${configured}: the exporter is allowed only the configured key, so every export would fail with KMSAccessDenied`,
              `remove kmsKeyArn from destination "${d.id}" and redeploy, or encrypt the stream with the configured key: aws kinesis start-stream-encryption --stream-arn ${streamArn} --encryption-type KMS --key-id ${configured} --region ${d.region}`,
            ),
    };
  }
  const streamKeyArn = streamKeyArnOf(ref, d, where, resolvedAliasArn);
  if (ref.kind === 'alias' && streamKeyArn === undefined) {
    return {
      finding: found(
        'warning',
        `stream "${d.streamName}" names its key by the alias ${ref.alias}, which could not be resolved (kms:DescribeKey): the key could not be compared with ${configured === undefined ? 'the config, which names none' : `kmsKeyArn ${configured}`}`,
        `find the key with aws kms describe-key --key-id ${ref.alias} --region ${d.region} and make it the destination's kmsKeyArn`,
      ),
    };
  }
  const named = streamKeyArn ?? settings.keyId;
  const setKey = `set "kmsKeyArn": "${streamKeyArn ?? `<the ARN of key ${settings.keyId}>`}" for destination "${d.id}" and redeploy, so that the exporter is granted kms:GenerateDataKey on it (the key policy must allow it too)`;
  if (configured === undefined) {
    return {
      finding: found(
        'failed',
        `stream "${d.streamName}" is encrypted with the customer-managed key ${named}, but the destination has no kmsKeyArn: the exporter is granted no kms:GenerateDataKey on it, so every export would fail with KMSAccessDenied`,
        setKey,
      ),
      ...(streamKeyArn !== undefined && { streamKeyArn }),
    };
  }
  const same =
    streamKeyArn !== undefined
      ? sameKeyArn(streamKeyArn, configured)
      : ref.kind === 'key-id' &&
        ref.keyId.toLowerCase() === keyIdOf(configured) &&
        parseArn(configured)?.region === d.region;
  if (same) {
    return {
      finding: found('passed', `stream "${d.streamName}" is encrypted with the configured key ${configured}`),
      // The config's spelling: one the IAM policies name.
      streamKeyArn: configured,
    };
  }
  return {
    finding: found(
      'failed',
      `stream "${d.streamName}" is encrypted with the key ${named}, not with the configured kmsKeyArn ${configured}: the exporter would be granted the wrong key, so every export would fail with KMSAccessDenied`,
      setKey,
    ),
    ...(streamKeyArn !== undefined && { streamKeyArn }),
  };
}

/**
 * The stream's record distribution strategy: `AUTO` spreads records over the shards whatever their
 * partition key, so one profile's exports (partition key = profile id) can be read out of order —
 * fails; `USER_PARTITION_KEY` (or none: provisioned streams report none) passes; a strategy this code
 * does not know warns.
 */
export function recordDistributionFinding(
  settings: StreamSettings,
  d: StreamRuleDestination,
  where: StreamLocation = {},
): StreamFinding {
  const strategy = settings.recordDistributionStrategy;
  if (strategy === undefined || strategy === 'USER_PARTITION_KEY') {
    return {
      check: 'record-distribution',
      status: 'passed',
      detail: `stream "${d.streamName}" places records by partition key${strategy === undefined ? '' : ' (USER_PARTITION_KEY)'}: one profile's exports stay in order`,
    };
  }
  const fix = `set the strategy back: aws kinesis update-stream-record-distribution-strategy --stream-arn ${streamArnFor(settings, d, where)} --record-distribution-strategy USER_PARTITION_KEY --region ${d.region}`;
  if (strategy === 'AUTO') {
    return {
      check: 'record-distribution',
      status: 'failed',
      detail: `stream "${d.streamName}" distributes records with AUTO: Kinesis ignores the partition key (the profile id), so one profile's exports land on any shard and consumers can read them out of order`,
      fix,
    };
  }
  return {
    check: 'record-distribution',
    status: 'warning',
    detail: `stream "${d.streamName}" uses the record distribution strategy ${strategy}, which this version does not know: one profile's exports may not stay in order`,
    fix,
  };
}

/**
 * The stream's largest record (`MaxRecordSizeInKiB`, 1–10 MiB; absent means the Kinesis default,
 * 1 MiB) against the largest record the pipeline puts: every export travels through the export queue,
 * whose messages hold at most 1 MiB with their envelope, so no record above 1 MiB is ever put, and a
 * stream that accepts more changes nothing. Fails a stream whose limit is below it.
 */
export function recordSizeFinding(
  settings: StreamSettings,
  d: StreamRuleDestination,
  where: StreamLocation = {},
  pipelineMaxRecordBytes: number = PIPELINE_SETTINGS.putRecords.maxRecordBytes,
): StreamFinding {
  const pipelineKiB = Math.ceil(pipelineMaxRecordBytes / 1024);
  const kib = settings.maxRecordSizeInKiB;
  if (kib === undefined) {
    return {
      check: 'record-size',
      status: 'passed',
      detail: `stream "${d.streamName}" reports no MaxRecordSize: the Kinesis default, 1,024 KiB, holds the pipeline's records (at most ${pipelineKiB} KiB)`,
    };
  }
  if (kib >= pipelineKiB) {
    return {
      check: 'record-size',
      status: 'passed',
      detail: `stream "${d.streamName}" accepts records up to ${kib} KiB; the pipeline puts at most ${pipelineKiB} KiB (what an export queue message carries)`,
    };
  }
  return {
    check: 'record-size',
    status: 'failed',
    detail: `stream "${d.streamName}" accepts records up to ${kib} KiB, but the pipeline puts records up to ${pipelineKiB} KiB: larger exports would be refused by the stream`,
    fix: `raise the stream's limit: aws kinesis update-max-record-size --stream-arn ${streamArnFor(settings, d, where)} --max-record-size-in-ki-b ${pipelineKiB} --region ${d.region}`,
  };
}
