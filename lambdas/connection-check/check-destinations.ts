import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand, type KinesisClient, type StreamStatus } from '@aws-sdk/client-kinesis';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { checkStreamConnection } from '../../adapters/connection-check.js';
import {
  credentialSourceOf,
  resolveCredentials,
  type StaticCredentials,
} from '../../adapters/destination-credentials.js';
import { describeError } from '../../adapters/errors.js';
import { ConnectionCheckError } from '../commons/errors.js';
import { type LogSink, logSafely } from '../commons/observability.js';
import {
  type CheckedDestination,
  connectionCheckPropertiesSchema,
  STREAM_NAME_CHECK_TYPE,
  streamNameCheckPropertiesSchema,
} from './properties.js';
import { simulateExportRole } from './role-simulation.js';
import { skipReason } from './rollback.js';
import { checkStreamNames } from './stream-name-check.js';

export {
  type CheckedDestination,
  checkedDestinationSchema,
  connectionCheckPropertiesSchema,
} from './properties.js';

/** Clients the stream checks use; the handler builds them once, tests inject them. */
export interface ConnectionCheckDeps {
  readonly sts: STSClient;
  readonly secrets: SecretsManagerClient;
  readonly kinesisFor: (region: string, credentials?: StaticCredentials) => KinesisClient;
}

/** Everything a deploy-time check needs besides the event. */
export interface DeployCheckDeps extends ConnectionCheckDeps {
  readonly iam: IAMClient;
  readonly cloudFormation: CloudFormationClient;
  readonly logger: LogSink;
  /** Waits between simulation attempts. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** One line of a destination's report. */
export interface DestinationCheckResult {
  /** `export-role`, `list-streams`, `stream-exists`, `stream-active`. */
  readonly check: string;
  readonly status: 'passed' | 'failed' | 'skipped';
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
}

/**
 * Checks each destination's stream with the credentials its exporter uses: the assumed
 * cross-account role or the access key from the Secrets Manager secret, with ListStreams as the
 * source page's platform does; a stream written with the export role's own identity with
 * DescribeStreamSummary (existence and status — the export role's permissions are simulated
 * separately). Never throws for an AWS error: each becomes a failed check.
 */
export async function checkDestinations(
  destinations: readonly CheckedDestination[],
  ownAccount: string,
  deps: ConnectionCheckDeps,
): Promise<DestinationReport[]> {
  const results: DestinationReport[] = [];
  for (const d of destinations) {
    results.push({ destinationId: d.destinationId, report: await checkOne(d, ownAccount, deps) });
  }
  return results;
}

async function checkOne(
  d: CheckedDestination,
  ownAccount: string,
  deps: ConnectionCheckDeps,
): Promise<DestinationStreamReport> {
  const source = credentialSourceOf({ ...d, id: d.destinationId });
  if (source === undefined) {
    if (d.accountId !== undefined && d.accountId !== ownAccount) {
      // Written through the stream's resource policy, which this account's role cannot read.
      return report(d.streamName, [
        {
          check: 'stream-exists',
          status: 'skipped',
          message: `stream is in account ${d.accountId} and written through its resource policy; run "npx kinesis-destination validate" from that account`,
        },
      ]);
    }
    return report(d.streamName, await describeStream(deps.kinesisFor(d.region), d.streamName));
  }
  let credentials: StaticCredentials;
  try {
    const resolved = await resolveCredentials(source, {
      sessionName: 'kd-connection-check',
      durationSeconds: 900,
      sts: () => deps.sts,
      secrets: () => deps.secrets,
    });
    credentials = resolved.credentials;
  } catch (error) {
    return report(d.streamName, [
      {
        check: 'list-streams',
        status: 'failed',
        message: `could not obtain the exporter's credentials (${describeError(error)})`,
      },
    ]);
  }
  return checkStreamConnection({ client: deps.kinesisFor(d.region, credentials), streamName: d.streamName });
}

/** Statuses in which a stream accepts PutRecord/PutRecords. */
const WRITABLE: ReadonlySet<StreamStatus> = new Set<StreamStatus>(['ACTIVE', 'UPDATING']);

async function describeStream(client: KinesisClient, streamName: string): Promise<DestinationCheckResult[]> {
  let status: StreamStatus | undefined;
  try {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    status = summary.StreamDescriptionSummary?.StreamStatus;
  } catch (error) {
    const missing = (error as { name?: string }).name === 'ResourceNotFoundException';
    return [
      {
        check: 'stream-exists',
        status: 'failed',
        message: missing
          ? `stream "${streamName}" does not exist in this account and region; create it, or fix streamName, region or accountId in the config`
          : `kinesis:DescribeStreamSummary failed (${describeError(error)}); the connection check's role needs it on the stream (the stack grants it: redeploy)`,
      },
      { check: 'stream-active', status: 'skipped', message: 'not checked: the stream was not found' },
    ];
  }
  return [
    { check: 'stream-exists', status: 'passed', message: `stream "${streamName}" exists` },
    status !== undefined && WRITABLE.has(status)
      ? { check: 'stream-active', status: 'passed', message: `stream "${streamName}" is ${status}` }
      : {
          check: 'stream-active',
          status: 'failed',
          message: `stream "${streamName}" is ${status ?? 'in an unknown status'}, not ACTIVE: records cannot be written to it; wait until it is ACTIVE or point the destination to another stream`,
        },
  ];
}

function report(streamName: string, checks: readonly DestinationCheckResult[]): DestinationStreamReport {
  return { streamName, ok: checks.every((c) => c.status !== 'failed'), checks };
}

/** One line per check, e.g. for the CloudFormation failure reason. */
export function formatDestinationReport(r: DestinationStreamReport): string {
  return r.checks.map((c) => `${c.status.toUpperCase()} ${c.check}: ${c.message}`).join('\n');
}

/** The Provider framework's answer to an event that passed (or needed no check). */
export interface ConnectionCheckResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/**
 * The Provider-framework onEvent work of both deploy-time checks. Does nothing on Delete and while
 * the stack rolls back ({@link skipReason}). Otherwise, for `Custom::KinesisStreamNameCheck`, that
 * no stream about to be created exists already; for the connection check, every imported
 * destination: the export role's effective permissions (simulated), then the stream with the
 * exporter's credentials. Fails the deployment — so CloudFormation rolls back — with one block per
 * failed destination.
 * @throws ConnectionCheckError when a destination fails; ZodError for malformed properties.
 */
export async function runConnectionCheck(
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'invokedFunctionArn'>,
  deps: DeployCheckDeps,
): Promise<ConnectionCheckResponse> {
  const physicalResourceId =
    event.RequestType === 'Create' ? `connection-check-${event.LogicalResourceId}` : event.PhysicalResourceId;
  const skip = await skipReason(event, deps.cloudFormation, deps.logger);
  if (skip === 'delete') return { PhysicalResourceId: physicalResourceId };
  if (skip === 'rollback') return { PhysicalResourceId: physicalResourceId, Data: { Skipped: 'rollback' } };

  if (event.ResourceType === STREAM_NAME_CHECK_TYPE) {
    const { Streams } = streamNameCheckPropertiesSchema.parse(event.ResourceProperties);
    const results = await checkStreamNames(Streams, event.StackId, deps);
    const taken = results.filter((r) => !r.ok);
    for (const r of taken) {
      logSafely(deps.logger, 'error', 'stream name taken', { destinationId: r.destinationId });
    }
    if (taken.length > 0) {
      throw new ConnectionCheckError(
        taken.map((r) => `destination "${r.destinationId}": ${r.message}`).join('\n'),
      );
    }
    return {
      PhysicalResourceId: physicalResourceId,
      Data: { Checked: Streams.map((s) => s.destinationId).join(',') },
    };
  }

  const { ExportRoleArn, Destinations } = connectionCheckPropertiesSchema.parse(event.ResourceProperties);
  const ownAccount = context.invokedFunctionArn.split(':')[4] ?? '';
  const streams = await checkDestinations(Destinations, ownAccount, deps);
  const reports: DestinationReport[] = [];
  for (const [i, d] of Destinations.entries()) {
    const simulated = await simulateExportRole(d, ExportRoleArn, deps);
    const stream = streams[i]?.report ?? report(d.streamName, []);
    const checks = [{ check: 'export-role', ...simulated }, ...stream.checks];
    reports.push({ destinationId: d.destinationId, report: report(d.streamName, checks) });
  }
  for (const { destinationId, report: r } of reports) {
    const failedChecks = r.checks.filter((c) => c.status === 'failed');
    logSafely(deps.logger, r.ok ? 'info' : 'error', `connection check ${r.ok ? 'passed' : 'failed'}`, {
      destinationId,
      failed: failedChecks.length,
      ...(failedChecks[0] !== undefined && { code: failedChecks[0].check }),
    });
  }
  const failed = reports.filter((r) => !r.report.ok);
  if (failed.length > 0) {
    throw new ConnectionCheckError(
      failed
        .map(
          (r) =>
            `destination "${r.destinationId}" (stream ${r.report.streamName}):\n${formatDestinationReport(r.report)}`,
        )
        .join('\n'),
    );
  }
  return {
    PhysicalResourceId: physicalResourceId,
    Data: { Checked: reports.map((r) => r.destinationId).join(',') },
  };
}
