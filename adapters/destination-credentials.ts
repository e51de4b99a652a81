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
  /**
   * The session policy of an assumed role (core/session-policies.ts): the session may do at most
   * what it allows. Ignored for an access key.
   * @default - none: the session has the role's permissions
   */
  readonly sessionPolicy?: string;
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
        ...(options.sessionPolicy !== undefined && { Policy: options.sessionPolicy }),
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

/** What is wrong with one field of an access-key secret, never quoting its value. */
function fieldProblem(json: Record<string, unknown>, field: string, minLength: number): string | undefined {
  if (!Object.hasOwn(json, field)) return `"${field}" is missing`;
  const value = json[field];
  if (typeof value !== 'string') return `"${field}" is not a string`;
  if (value.length < minLength) return `"${field}" is shorter than ${minLength} characters`;
  return undefined;
}

/**
 * Reads the access key of a secret. Every error names the secret's ARN and what is wrong with the
 * expected fields only — never a value, a fragment of one, or the names of other fields (a secret
 * stored with the key as a field name would leak through them). Fields besides the three are ignored.
 * @throws DestinationCredentialsError.
 */
export function parseAccessKeySecret(secretArn: string, secret: string | undefined): StaticCredentials {
  const fix =
    'store JSON {"accessKeyId": "…", "secretAccessKey": "…"} (and "sessionToken" for temporary keys)';
  if (secret === undefined) {
    throw new DestinationCredentialsError(`secret ${secretArn} holds no text (a binary secret?): ${fix}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(secret);
  } catch {
    // JSON.parse quotes the text it failed on: the secret. Neither message nor cause may carry it.
    throw new DestinationCredentialsError(`secret ${secretArn} is not JSON: ${fix}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DestinationCredentialsError(`secret ${secretArn} is not a JSON object: ${fix}`);
  }
  const record = json as Record<string, unknown>;
  const problems = [
    fieldProblem(record, 'accessKeyId', 16),
    fieldProblem(record, 'secretAccessKey', 1),
    Object.hasOwn(record, 'sessionToken') ? fieldProblem(record, 'sessionToken', 1) : undefined,
  ].filter((p): p is string => p !== undefined);
  const parsed = accessKeySecretSchema.safeParse(json);
  if (problems.length > 0 || !parsed.success) {
    throw new DestinationCredentialsError(
      `secret ${secretArn} does not hold an access key (${problems.join('; ') || 'invalid fields'}): ${fix}`,
    );
  }
  return parsed.data;
}

/**
 * The error codes with which AWS refuses credentials: a key that was deleted or deactivated
 * (`UnrecognizedClientException`, `InvalidClientTokenId`), a key id with the wrong secret
 * (`InvalidSignatureException`, `SignatureDoesNotMatch`), an expired session (`ExpiredTokenException`,
 * `ExpiredToken`), and a denial, which after a rotation can mean the new key's user lacks the grant.
 */
export const AUTHENTICATION_ERROR_CODES: ReadonlySet<string> = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'RequestExpired',
  'AccessDeniedException',
  'AccessDenied',
]);

/** True for an error code with which AWS refused the caller's credentials (see {@link AUTHENTICATION_ERROR_CODES}). */
export function isAuthenticationError(code: string): boolean {
  return AUTHENTICATION_ERROR_CODES.has(code);
}

/**
 * The one redaction of credential material (core/redaction.ts), exported here too: callers that
 * resolve credentials take them out of error texts with it.
 */
export { CredentialRedactor, redactCredentials } from '../core/redaction.js';
