/**
 * Credential material taken out of texts that leave a function: error messages that become a failed
 * export's record, a CloudFormation failure reason, a log field or a CLI row. The one redaction of the
 * project: `DestinationClients.redact` (the export path), the connection check, `describeError` and
 * the functions' logged error fields all call {@link redactCredentials}.
 */

/** Access key ids (long-term `AKIA…`, temporary `ASIA…`). */
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
/** Session tokens and other long base64 runs. */
const LONG_TOKEN = /[A-Za-z0-9+/=]{100,}/g;
/** Values shorter than this are not looked for (a short value would take common words out). */
const MIN_SECRET_LENGTH = 8;

/**
 * A text with credential material taken out: each of `secrets` (values of at least 8 characters),
 * access key ids, and base64 runs of 100 characters or more (session tokens). For error messages
 * that may quote a request's signed headers (an `InvalidSignatureException`, or the canonical string
 * a `SignatureDoesNotMatch` of a query-protocol service prints, can).
 */
export function redactCredentials(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  // Longest first: one value may begin with another.
  const values = [...secrets]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const secret of values) out = out.split(secret).join('[redacted]');
  return out.replace(ACCESS_KEY_ID, '[access key id]').replace(LONG_TOKEN, '[redacted]');
}

/** Static credentials as a redactor remembers them. */
export interface CredentialValues {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/**
 * Remembers the credential values a component handed out (an assumed role's keys, a secret's access
 * key) and takes them — and every access key id and session token — out of a text.
 */
export class CredentialRedactor {
  private readonly values = new Set<string>();

  /** Adds the values of `credentials` to those taken out. */
  remember(credentials: CredentialValues): void {
    for (const value of [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken])
      if (value !== undefined) this.values.add(value);
  }

  /** `text` with every remembered value, access key id and session token taken out. */
  redact(text: string): string {
    return redactCredentials(text, this.values);
  }
}
