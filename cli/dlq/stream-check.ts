/**
 * The stream pre-check of a redrive: each destination whose dead letters would move must have its
 * stream, in a writable status, before anything moves — a redrive into a missing stream only fails
 * three more times and comes back to the DLQ. It runs the connection check the deploy runs
 * (`adapters/connection-check.ts`: ListStreams, the stream listed, ACTIVE or UPDATING) with the
 * exporter's credentials, resolved as the export function resolves them.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { checkStreamConnection, type StreamConnectionReport } from '../../adapters/connection-check.js';
import { credentialSourceOf, resolveCredentials } from '../../adapters/destination-credentials.js';
import { describeError } from '../../adapters/errors.js';
import type { Destination, DestinationConfig } from '../../core/config.js';

/** A destination's stream as the pre-check found it. */
export interface StreamCheck {
  readonly destinationId: string;
  readonly streamName: string | undefined;
  /** `broken`: records cannot be written (refused); `unchecked`: it could not be checked (a warning). */
  readonly state: 'ok' | 'broken' | 'unchecked';
  readonly detail: string;
}

/** Runs the connection check of one destination's stream. */
export type StreamChecker = (destination: Destination) => Promise<StreamConnectionReport>;

/** The connection check with the exporter's credentials (assumed role, secret, or the caller's own). */
export const exporterStreamChecker: StreamChecker = async (destination) => {
  const source = credentialSourceOf(destination);
  const credentials =
    source === undefined
      ? undefined
      : (
          await resolveCredentials(source, {
            sessionName: 'kd-redrive-check',
            durationSeconds: 900,
            sts: () => new STSClient({ region: destination.region }),
            secrets: () => new SecretsManagerClient({ region: destination.region }),
          })
        ).credentials;
  const client = new KinesisClient({
    region: destination.region,
    // HTTP/1.1: the local emulators do not speak HTTP/2, which client-kinesis uses by default.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 15_000 }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  try {
    return await checkStreamConnection({ client, streamName: destination.streamName });
  } finally {
    client.destroy();
  }
};

/** A connection report as the pre-check's verdict (pure). */
export function streamCheckOf(destinationId: string, report: StreamConnectionReport): StreamCheck {
  const failed = report.checks.find((c) => c.status === 'failed');
  const base = { destinationId, streamName: report.streamName };
  if (failed?.check === 'stream-exists' || failed?.check === 'stream-active')
    return { ...base, state: 'broken', detail: failed.message };
  if (failed !== undefined) return { ...base, state: 'unchecked', detail: failed.message };
  const skipped = report.checks.find((c) => c.status === 'skipped');
  if (skipped !== undefined) return { ...base, state: 'unchecked', detail: skipped.message };
  return { ...base, state: 'ok', detail: `stream "${report.streamName}" exists and is writable` };
}

/**
 * Checks the stream of every destination in `destinationIds`; a destination the config does not
 * have is `broken` (the export function cannot put its exports).
 */
export async function checkDestinationStreams(
  config: DestinationConfig,
  destinationIds: Iterable<string>,
  checker: StreamChecker = exporterStreamChecker,
): Promise<StreamCheck[]> {
  const checks: StreamCheck[] = [];
  for (const id of destinationIds) {
    const destination = config.destinations.find((d) => d.id === id);
    if (destination === undefined) {
      checks.push({
        destinationId: id,
        streamName: undefined,
        state: 'broken',
        detail: `destination "${id}" is not in the config, so the export function cannot put its exports; add it back, or redrive another destination with --destination`,
      });
      continue;
    }
    try {
      checks.push(streamCheckOf(id, await checker(destination)));
    } catch (error) {
      checks.push({
        destinationId: id,
        streamName: destination.streamName,
        state: 'unchecked',
        detail: `the stream could not be checked with the exporter's credentials (${describeError(error)})`,
      });
    }
  }
  return checks;
}
