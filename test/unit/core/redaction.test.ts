import { describe, expect, it } from 'vitest';
import { describeError } from '../../../adapters/errors.js';
import { CredentialRedactor, redactCredentials } from '../../../core/redaction.js';
import { errorFields } from '../../../lambdas/commons/observability.js';

const KEY_ID = 'ASIAIOSFODNN7EXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = `IQoJb3JpZ2luX2VjEJr${'a1B2c3D4e5F6g7H8'.repeat(12)}==`;

/**
 * The shape of a query-protocol service's SignatureDoesNotMatch (SQS, STS): the message quotes the
 * canonical string, with the credential scope and the session token header.
 */
const SIGNATURE_MESSAGE = [
  'The request signature we calculated does not match the signature you provided.',
  'The Canonical String for this request should have been',
  `'POST\n/\n\nhost:sqs.us-east-2.amazonaws.com\nx-amz-date:20240101T000000Z\nx-amz-security-token:${SESSION_TOKEN}\n'`,
  `The String-to-Sign should have been 'AWS4-HMAC-SHA256 20240101T000000Z 20240101/us-east-2/sqs/aws4_request' Credential=${KEY_ID}/20240101/us-east-2/sqs/aws4_request`,
].join('\n');

function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 403 } });
}

describe('redactCredentials()', () => {
  it('takes out an access key id, a session token and the values given', () => {
    const text = `${SIGNATURE_MESSAGE}\nsecret ${SECRET_KEY}`;

    const redacted = redactCredentials(text, [SECRET_KEY]);

    expect(redacted).not.toContain(KEY_ID);
    expect(redacted).not.toContain(SESSION_TOKEN.slice(0, 40));
    expect(redacted).not.toContain(SECRET_KEY);
    expect(redacted).toContain('Credential=[access key id]/20240101');
    expect(redacted).toContain('x-amz-security-token:[redacted]');
  });

  it('leaves short values and ordinary text alone', () => {
    expect(redactCredentials('stream profile-exports is ACTIVE', ['ACTIVE'])).toBe(
      'stream profile-exports is ACTIVE',
    );
  });
});

describe('CredentialRedactor', () => {
  it('takes out every value of the credentials it was given, and nothing before', () => {
    const redactor = new CredentialRedactor();
    const text = `denied for ${SECRET_KEY}`;
    expect(redactor.redact(text)).toBe(text);

    redactor.remember({ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN });

    expect(redactor.redact(text)).toBe('denied for [redacted]');
  });
});

describe('describeError()', () => {
  it('redacts an error message that quotes signed headers', () => {
    const text = describeError(serviceError('SignatureDoesNotMatch', SIGNATURE_MESSAGE));

    expect(text.startsWith('SignatureDoesNotMatch: The request signature')).toBe(true);
    expect(text).not.toContain(KEY_ID);
    expect(text).not.toContain(SESSION_TOKEN.slice(0, 40));
  });
});

describe('errorFields()', () => {
  it('logs an AWS error message with its credential material taken out', () => {
    const fields = errorFields(serviceError('InvalidSignatureException', SIGNATURE_MESSAGE));

    expect(fields.errorName).toBe('InvalidSignatureException');
    expect(fields.errorMessage).toContain('The request signature we calculated');
    expect(fields.errorMessage).not.toContain(KEY_ID);
    expect(fields.errorMessage).not.toContain(SESSION_TOKEN.slice(0, 40));
  });
});
