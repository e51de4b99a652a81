import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import {
  checkStreamConnection,
  formatConnectionReport,
  type StreamConnectionReport,
} from '../../adapters/connection-check.js';

/**
 * Deploy-time connection check (a CloudFormation custom resource behind the CDK Provider framework).
 *
 * On create and update it runs `checkStreamConnection` for every destination stream the stack
 * imports, with the credentials the exporter writes with, and fails the deployment — so
 * CloudFormation rolls back — with one line per failed check. Delete does nothing.
 */

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

/** Static credentials for the destination's Kinesis client. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const propertiesSchema = z.object({ Destinations: z.array(checkedDestinationSchema) });

const secretSchema = z.object({
  accessKeyId: z.string().min(16),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
});

/** Raised when at least one destination fails its check; the message becomes the stack event reason. */
export class ConnectionCheckError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionCheckError';
  }
}

export interface ConnectionCheckDeps {
  readonly sts: STSClient;
  readonly secrets: SecretsManagerClient;
  readonly kinesisFor: (region: string, credentials?: StaticCredentials) => KinesisClient;
}

const defaultDeps: ConnectionCheckDeps = {
  sts: new STSClient({}),
  secrets: new SecretsManagerClient({}),
  kinesisFor: (region, credentials) =>
    new KinesisClient({ region, ...(credentials === undefined ? {} : { credentials }) }),
};

/** Provider-framework onEvent handler. */
export async function handler(
  event: CloudFormationCustomResourceEvent,
  context: Context,
): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  const physicalResourceId =
    event.RequestType === 'Create' ? `connection-check-${event.LogicalResourceId}` : event.PhysicalResourceId;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalResourceId };

  const { Destinations } = propertiesSchema.parse(event.ResourceProperties);
  const ownAccount = context.invokedFunctionArn.split(':')[4] ?? '';
  const reports = await checkDestinations(Destinations, ownAccount, defaultDeps);
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

/**
 * Checks each destination with the credentials its exporter uses: the function's own role, the
 * assumed cross-account role, or the access key from the Secrets Manager secret.
 */
export async function checkDestinations(
  destinations: readonly CheckedDestination[],
  ownAccount: string,
  deps: ConnectionCheckDeps,
): Promise<{ destinationId: string; report: StreamConnectionReport }[]> {
  const results: { destinationId: string; report: StreamConnectionReport }[] = [];
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
    credentials = await credentialsFor(d, deps);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      streamName: d.streamName,
      ok: false,
      checks: [
        {
          check: 'list-streams',
          status: 'failed',
          message: `could not obtain the exporter's credentials (${reason})`,
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

async function credentialsFor(
  d: CheckedDestination,
  deps: ConnectionCheckDeps,
): Promise<StaticCredentials | undefined> {
  if (d.roleArn !== undefined) {
    const { Credentials } = await deps.sts.send(
      new AssumeRoleCommand({
        RoleArn: d.roleArn,
        RoleSessionName: `kd-connection-check-${d.destinationId}`.slice(0, 64),
        DurationSeconds: 900,
        ...(d.externalId === undefined ? {} : { ExternalId: d.externalId }),
      }),
    );
    if (Credentials?.AccessKeyId === undefined || Credentials.SecretAccessKey === undefined) {
      throw new ConnectionCheckError(`AssumeRole on ${d.roleArn} returned no credentials`);
    }
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      ...(Credentials.SessionToken === undefined ? {} : { sessionToken: Credentials.SessionToken }),
    };
  }
  if (d.credentialsSecretArn !== undefined) {
    const { SecretString } = await deps.secrets.send(
      new GetSecretValueCommand({ SecretId: d.credentialsSecretArn }),
    );
    const parsed = secretSchema.safeParse(JSON.parse(SecretString ?? '{}'));
    if (!parsed.success) {
      throw new ConnectionCheckError(
        `secret ${d.credentialsSecretArn} must hold JSON {"accessKeyId": "...", "secretAccessKey": "..."}`,
      );
    }
    return parsed.data;
  }
  return undefined;
}
