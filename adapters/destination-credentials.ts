import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import type { Destination } from '../core/config.js';
import { DestinationCredentialsError } from './errors.js';

/**
 * The one resolver of the credentials a destination's stream is written with (the export function's
 * clients, the deploy-time connection check and `validate`): the caller's own, an assumed role
 * (`roleArn`, with `externalId`), or the access key in a Secrets Manager secret (`credentialsSecretArn`,
 * the source page's access-key method).
 */

/** The secret of the access-key method: JSON `{"accessKeyId": "…", "secretAccessKey": "…"}`. */
export const accessKeySecretSchema = z.object({
  accessKeyId: z.string().min(16),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
});

/** Static credentials: an assumed role's, or the access key of the secret. */
export type StaticCredentials = z.infer<typeof accessKeySecretSchema>;

/** Where a destination's credentials come from, when not from the caller. */
export type CredentialSource =
  | {
      readonly kind: 'assume-role';
      readonly destinationId: string;
      readonly roleArn: string;
      readonly externalId?: string;
    }
  | { readonly kind: 'access-key-secret'; readonly secretArn: string };

/** The destination fields that say how it is written. */
export type DestinationCredentialFields = Pick<
  Destination,
  'id' | 'roleArn' | 'externalId' | 'credentialsSecretArn'
>;

/** The destination's credential source; undefined when the caller's own credentials write it. */
export function credentialSourceOf(destination: DestinationCredentialFields): CredentialSource | undefined {
  const { id, roleArn, externalId, credentialsSecretArn } = destination;
  if (roleArn !== undefined) {
    return {
      kind: 'assume-role',
      destinationId: id,
      roleArn,
      ...(externalId !== undefined && { externalId }),
    };
  }
  if (credentialsSecretArn !== undefined)
    return { kind: 'access-key-secret', secretArn: credentialsSecretArn };
  return undefined;
}

/** Resolved credentials and what is known of them. */
export interface ResolvedCredentials {
  readonly credentials: StaticCredentials;
  /** When an assumed role's credentials expire. */
  readonly expiration?: Date;
  /** The assumed role session's ARN. */
  readonly assumedRoleArn?: string;
}

/** Options of {@link resolveCredentials}. */
export interface ResolveCredentialsOptions {
  /** The role session name's prefix: the session is `<prefix>-<destination id>`, cut at 64 characters. */
  readonly sessionName: string;
  readonly durationSeconds: number;
  /** The STS client that assumes the role (called only for a role). */
  readonly sts: () => STSClient;
  /** The Secrets Manager client that reads the secret (called only for a secret). */
  readonly secrets: () => SecretsManagerClient;
}

/**
 * Resolves the credentials of a {@link CredentialSource}: assumes the role, or reads the secret.
 * @throws DestinationCredentialsError when AssumeRole returns no credentials or the secret does
 *   not hold an access key; the SDK's error when the call fails.
 */
export async function resolveCredentials(
  source: CredentialSource,
  options: ResolveCredentialsOptions,
): Promise<ResolvedCredentials> {
  if (source.kind === 'assume-role') {
    const { Credentials: c, AssumedRoleUser } = await options.sts().send(
      new AssumeRoleCommand({
        RoleArn: source.roleArn,
        RoleSessionName: `${options.sessionName}-${source.destinationId}`.slice(0, 64),
        DurationSeconds: options.durationSeconds,
        ...(source.externalId !== undefined && { ExternalId: source.externalId }),
      }),
    );
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
      throw new DestinationCredentialsError(`AssumeRole on ${source.roleArn} returned no credentials`);
    }
    return {
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken !== undefined && { sessionToken: c.SessionToken }),
      },
      ...(c.Expiration !== undefined && { expiration: c.Expiration }),
      ...(AssumedRoleUser?.Arn !== undefined && { assumedRoleArn: AssumedRoleUser.Arn }),
    };
  }
  const { SecretString } = await options
    .secrets()
    .send(new GetSecretValueCommand({ SecretId: source.secretArn }));
  return { credentials: parseAccessKeySecret(source.secretArn, SecretString) };
}

function parseAccessKeySecret(secretArn: string, secret: string | undefined): StaticCredentials {
  const fix = `secret ${secretArn} must hold JSON {"accessKeyId": "…", "secretAccessKey": "…"}`;
  let json: unknown;
  try {
    json = JSON.parse(secret ?? '{}');
  } catch {
    // JSON.parse quotes the text it failed on: the secret. Neither message nor cause may carry it.
    throw new DestinationCredentialsError(`${fix}: it is not JSON`);
  }
  const parsed = accessKeySecretSchema.safeParse(json);
  if (!parsed.success) throw new DestinationCredentialsError(fix);
  return parsed.data;
}
