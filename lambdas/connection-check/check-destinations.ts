import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import {
  checkStreamConnection,
  formatConnectionReport,
  type StreamConnectionReport,
} from '../../adapters/connection-check.js';
import {
  credentialSourceOf,
  resolveCredentials,
  type StaticCredentials,
} from '../../adapters/destination-credentials.js';
import { describeError } from '../../adapters/errors.js';
import { ConnectionCheckError } from '../commons/errors.js';
import { type LogSink, logSafely } from '../commons/observability.js';

/** One destination to check; the stack passes these as the resource's `Destinations` property. */
export const checkedDestinationSchema = z.object({
  destinationId: z.string().min(1),
  region: z.string().min(1),
  streamName: z.string().min(1),
  accountId: z.string().optional(),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
  credentialsSecretArn: z.string().optional(),
});

export type CheckedDestination = z.infer<typeof checkedDestinationSchema>;

/** The custom resource's properties. */
export const connectionCheckPropertiesSchema = z.object({ Destinations: z.array(checkedDestinationSchema) });

/** Clients the check uses; the handler builds them once, tests inject them. */
export interface ConnectionCheckDeps {
  readonly sts: STSClient;
  readonly secrets: SecretsManagerClient;
  readonly kinesisFor: (region: string, credentials?: StaticCredentials) => KinesisClient;
}

/** The report of one destination. */
export interface DestinationReport {
  readonly destinationId: string;
  readonly report: StreamConnectionReport;
}

/**
 * Checks each destination with the credentials its exporter uses: the function's own role, the
 * assumed cross-account role, or the access key from the Secrets Manager secret. Never throws for
 * an AWS error: each becomes a failed check.
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
): Promise<StreamConnectionReport> {
  let credentials: StaticCredentials | undefined;
  try {
    credentials = await exporterCredentials(d, deps);
  } catch (error) {
    return {
      streamName: d.streamName,
      ok: false,
      checks: [
        {
          check: 'list-streams',
          status: 'failed',
          message: `could not obtain the exporter's credentials (${describeError(error)})`,
        },
      ],
    };
  }
  if (credentials === undefined && d.accountId !== undefined && d.accountId !== ownAccount) {
    // Written through the stream's resource policy: ListStreams in this account cannot see it.
    return {
      streamName: d.streamName,
      ok: true,
      checks: [
        {
          check: 'stream-exists',
          status: 'skipped',
          message: `stream is in account ${d.accountId} and written through its resource policy; run "npm run cli -- validate" from that account`,
        },
      ],
    };
  }
  return checkStreamConnection({ client: deps.kinesisFor(d.region, credentials), streamName: d.streamName });
}

/** The exporter's credentials for `d`; undefined when it writes with its own role. */
async function exporterCredentials(
  d: CheckedDestination,
  deps: ConnectionCheckDeps,
): Promise<StaticCredentials | undefined> {
  const source = credentialSourceOf({ ...d, id: d.destinationId });
  if (source === undefined) return undefined;
  const resolved = await resolveCredentials(source, {
    sessionName: 'kd-connection-check',
    durationSeconds: 900,
    sts: () => deps.sts,
    secrets: () => deps.secrets,
  });
  return resolved.credentials;
}

/** The Provider framework's answer to a create or update that passed. */
export interface ConnectionCheckResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/**
 * The Provider-framework onEvent work: on create and update, checks every destination of the
 * resource's `Destinations` property and fails the deployment — so CloudFormation rolls back —
 * with one block per failed destination. Delete does nothing.
 * @throws ConnectionCheckError when a destination fails; ZodError for malformed properties.
 */
export async function runConnectionCheck(
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'invokedFunctionArn'>,
  deps: ConnectionCheckDeps & { readonly logger: LogSink },
): Promise<ConnectionCheckResponse> {
  const physicalResourceId =
    event.RequestType === 'Create' ? `connection-check-${event.LogicalResourceId}` : event.PhysicalResourceId;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalResourceId };

  const { Destinations } = connectionCheckPropertiesSchema.parse(event.ResourceProperties);
  const ownAccount = context.invokedFunctionArn.split(':')[4] ?? '';
  const reports = await checkDestinations(Destinations, ownAccount, deps);
  for (const { destinationId, report } of reports) {
    const failedChecks = report.checks.filter((c) => c.status === 'failed');
    logSafely(
      deps.logger,
      report.ok ? 'info' : 'error',
      `connection check ${report.ok ? 'passed' : 'failed'}`,
      {
        destinationId,
        failed: failedChecks.length,
        ...(failedChecks[0] !== undefined && { code: failedChecks[0].check }),
      },
    );
  }
  const failed = reports.filter((r) => !r.report.ok);
  if (failed.length > 0) {
    throw new ConnectionCheckError(
      failed
        .map(
          (r) =>
            `destination "${r.destinationId}" (stream ${r.report.streamName}):\n${formatConnectionReport(r.report)}`,
        )
        .join('\n'),
    );
  }
  return {
    PhysicalResourceId: physicalResourceId,
    Data: { Checked: reports.map((r) => r.destinationId).join(',') },
  };
}
