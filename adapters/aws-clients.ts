import { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Destination } from '../core/config.js';
import { CredentialRedactor } from '../core/redaction.js';
import { exporterSessionPolicy, sessionPolicyTargetOf, sessionPolicyText } from '../core/session-policies.js';
import { streamAccountOf, streamArn } from '../core/stream-arn.js';
import {
  credentialSourceOf,
  type ResolveCredentialsOptions,
  resolveCredentials,
} from './destination-credentials.js';

/**
 * Kinesis clients speak HTTP/1.1 with keep-alive: the SDK's default HTTP/2 handler cannot talk to
 * the local emulators, and HTTP/1.1 with pooled connections is what Lambda uses best anyway.
 * Endpoints come from the standard `AWS_ENDPOINT_URL_KINESIS` variable, read by the SDK itself.
 */
export function createKinesisClient(
  options: { region?: string; credentials?: AwsCredentialIdentityProvider } = {},
): KinesisClient {
  return new KinesisClient({
    ...(options.region !== undefined && { region: options.region }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    // The exporter's own loop retries failed calls within the invocation's time budget, one call
    // at a time; SDK retries stacked under it could outlive the budget on a hung connection.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
      httpsAgent: new Agent({ keepAlive: true, maxSockets: 50 }),
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
    }),
  });
}

/** Where a destination's records go: by name in this account, by ARN in another. */
export type StreamTarget = { readonly StreamName: string } | { readonly StreamARN: string };

/** `StreamARN` for a stream in another account (required there), `StreamName` otherwise. */
export function streamTargetOf(destination: Destination): StreamTarget {
  const account = streamAccountOf(destination);
  return account === undefined
    ? { StreamName: destination.streamName }
    : { StreamARN: streamArn(destination, account) };
}

/** Credentials that refresh themselves before they expire, fetched by `fetch`. */
function refreshing(fetch: () => Promise<AwsCredentialIdentity>): AwsCredentialIdentityProvider {
  let cached: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const current = cached === undefined ? undefined : await cached.catch(() => undefined);
    if (
      current !== undefined &&
      (current.expiration === undefined || current.expiration.getTime() - Date.now() > 5 * 60_000)
    ) {
      return current;
    }
    cached = fetch();
    return cached;
  };
}

/** Injectable clients for {@link DestinationClients}. */
export interface DestinationClientsOptions {
  readonly sts?: STSClient;
  readonly secrets?: SecretsManagerClient;
  /** @default createKinesisClient */
  readonly createClient?: typeof createKinesisClient;
}

/**
 * One Kinesis client per destination, created on first use and kept for the life of the execution
 * environment: in the destination's region, with the function's own role, an assumed role
 * (`roleArn` + `externalId`), or the access keys of a Secrets Manager secret (`credentialsSecretArn`).
 *
 * Credentials are cached until five minutes before they expire (an access key: re-read hourly);
 * {@link refresh} drops a destination's client and credentials at once, for the export function to
 * retry once with fresh ones after AWS refused them (a rotated key, an expired session).
 */
export class DestinationClients {
  private readonly clients = new Map<string, KinesisClient>();
  /** Credential values handed out so far, for {@link redact}. */
  private readonly redactor = new CredentialRedactor();
  private sts: STSClient | undefined;
  private secretsManager: SecretsManagerClient | undefined;
  constructor(private readonly options: DestinationClientsOptions = {}) {}

  /** The client and stream target of a destination. */
  forDestination(destination: Destination): { client: KinesisClient; target: StreamTarget } {
    let client = this.clients.get(destination.id);
    if (client === undefined) {
      const create = this.options.createClient ?? createKinesisClient;
      client = create({ region: destination.region, ...this.credentialsFor(destination) });
      this.clients.set(destination.id, client);
    }
    return { client, target: streamTargetOf(destination) };
  }

  /**
   * Drops the destination's client and cached credentials: the next {@link forDestination} resolves
   * them again (assumes the role again, or reads the secret again). Returns false when the
   * destination is written with the function's own credentials, which the Lambda runtime renews.
   */
  refresh(destination: Destination): boolean {
    const client = this.clients.get(destination.id);
    this.clients.delete(destination.id);
    client?.destroy();
    return credentialSourceOf(destination) !== undefined;
  }

  /** A text (an error message) with every credential value handed out so far taken out. */
  redact(text: string): string {
    return this.redactor.redact(text);
  }

  private credentialsFor(destination: Destination): { credentials?: AwsCredentialIdentityProvider } {
    const source = credentialSourceOf(destination);
    if (source === undefined) return {};
    // An assumed role's session may only put to this destination's stream (and use its key
    // through Kinesis), whatever else the partner's role allows.
    const target = sessionPolicyTargetOf(destination);
    const options: ResolveCredentialsOptions = {
      sessionName: 'kinesis-destination',
      durationSeconds: 3600,
      ...(target !== undefined && { sessionPolicy: sessionPolicyText(exporterSessionPolicy(target)) }),
      sts: () => {
        this.sts ??= this.options.sts ?? new STSClient({});
        return this.sts;
      },
      secrets: () => {
        this.secretsManager ??= this.options.secrets ?? new SecretsManagerClient({});
        return this.secretsManager;
      },
    };
    return {
      credentials: refreshing(async () => {
        const resolved = await resolveCredentials(source, options);
        this.redactor.remember(resolved.credentials);
        // An access key has no expiry: re-read the secret hourly so a rotated key is picked up.
        return {
          ...resolved.credentials,
          expiration: resolved.expiration ?? new Date(Date.now() + 65 * 60_000),
        };
      }),
    };
  }
}
