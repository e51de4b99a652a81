import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { describeError } from '../../adapters/errors.js';
import { CredentialRedactor } from '../../core/redaction.js';
import { ConnectionCheckError } from '../commons/errors.js';
import { type LogSink, logSafely } from '../commons/observability.js';
import {
  type ConnectionCheckDeps,
  checkDestinations,
  type DestinationReport,
  type DestinationStreamReport,
  report,
} from './destination-checks.js';
import {
  connectionCheckPropertiesSchema,
  STREAM_NAME_CHECK_TYPE,
  streamNameCheckPropertiesSchema,
} from './properties.js';
import { simulateExportRole } from './role-simulation.js';
import { skipReason } from './rollback.js';
import { checkStreamNames } from './stream-name-check.js';

export {
  type ConnectionCheckDeps,
  checkDestinations,
  type DestinationCheckResult,
  type DestinationReport,
  type DestinationStreamReport,
} from './destination-checks.js';
export {
  type CheckedDestination,
  checkedDestinationSchema,
  connectionCheckPropertiesSchema,
} from './properties.js';

/** Everything a deploy-time check needs besides the event. */
export interface DeployCheckDeps extends ConnectionCheckDeps {
  readonly iam: IAMClient;
  readonly cloudFormation: CloudFormationClient;
  readonly logger: LogSink;
  /** Waits between simulation attempts. */
  readonly sleep: (ms: number) => Promise<void>;
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
 * destination: the stream with the exporter's credentials and what its description reveals (the key
 * against `kmsKeyArn`, a record distribution strategy that ignores partition keys, the largest
 * record), then the export role's effective permissions (simulated; kms:GenerateDataKey on the key
 * the stream really uses). Fails the deployment — so CloudFormation rolls back — with one block per
 * failed destination; warnings are logged and let it go on.
 * @throws ConnectionCheckError when a destination fails, or anything else does (malformed
 *   properties included); its message — the failure reason CloudFormation shows — is redacted.
 */
export async function runConnectionCheck(
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'invokedFunctionArn'>,
  deps: DeployCheckDeps,
): Promise<ConnectionCheckResponse> {
  // The failure reason CloudFormation shows (and the Provider framework logs) is this error's
  // message: whatever fails, it leaves with the credential values the checks obtained taken out.
  const redactor = deps.redactor ?? new CredentialRedactor();
  try {
    return await runChecks(event, context, { ...deps, redactor });
  } catch (error) {
    if (error instanceof ConnectionCheckError) throw new ConnectionCheckError(redactor.redact(error.message));
    throw new ConnectionCheckError(
      `the connection check could not run: ${redactor.redact(describeError(error))}`,
      // The cause is left out: its message may quote what the text above takes out.
    );
  }
}

async function runChecks(
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'invokedFunctionArn'>,
  deps: DeployCheckDeps & { readonly redactor: CredentialRedactor },
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
    // kms:GenerateDataKey is simulated on the key the stream really uses, when its description told.
    const stream = streams[i] ?? { destinationId: d.destinationId, report: report(d.streamName, []) };
    const simulated = await simulateExportRole(d, ExportRoleArn, deps, stream.keyArn);
    const checks = [
      { check: 'export-role', ...simulated, message: deps.redactor.redact(simulated.message) },
      ...stream.report.checks,
    ];
    reports.push({ destinationId: d.destinationId, report: report(d.streamName, checks) });
  }
  for (const { destinationId, report: r } of reports) {
    const failedChecks = r.checks.filter((c) => c.status === 'failed');
    logSafely(deps.logger, r.ok ? 'info' : 'error', `connection check ${r.ok ? 'passed' : 'failed'}`, {
      destinationId,
      failed: failedChecks.length,
      ...(failedChecks[0] !== undefined && { code: failedChecks[0].check }),
    });
    const warnings = r.checks.filter((c) => c.status === 'warning');
    if (warnings[0] !== undefined) {
      logSafely(deps.logger, 'warn', 'connection check found something to fix', {
        destinationId,
        count: warnings.length,
        code: warnings[0].check,
      });
    }
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
