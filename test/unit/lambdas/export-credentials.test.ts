import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DestinationClients } from '../../../adapters/aws-clients.js';
import {
  isAuthenticationError,
  parseAccessKeySecret,
  redactCredentials,
  resolveCredentials,
} from '../../../adapters/destination-credentials.js';
import { DestinationCredentialsError } from '../../../adapters/errors.js';
import { parseConfig } from '../../../core/config.js';
import { runConnectionCheck } from '../../../lambdas/connection-check/check-destinations.js';
import { CATALOG, destination } from '../../helpers/factories.js';
import { logRecorder } from '../../helpers/recorders.js';

const ARN = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:kinesis-writer-AbCdEf';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const secrets = mockClient(SecretsManagerClient);

/** Every piece of `secret` of 6 characters or more that an error text could quote. */
function fragments(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i += 3) out.push(secret.slice(i, i + 6));
  return out;
}
function expectNoFragment(text: string, secret: string): void {
  for (const piece of fragments(secret)) expect(text, `quotes "${piece}"`).not.toContain(piece);
}
async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a rejection');
}
const resolve = () =>
  resolveCredentials(
    { kind: 'access-key-secret', secretArn: ARN },
    {
      sessionName: 't',
      durationSeconds: 900,
      sts: () => new STSClient({}),
      secrets: () => new SecretsManagerClient({}),
    },
  );

beforeEach(() => secrets.reset());

describe('the access-key secret', () => {
  const notJson = `accessKeyId=${KEY_ID}\nsecretAccessKey=${SECRET_KEY}`;
  const cases: [string, string, RegExp][] = [
    ['a secret that is not JSON', notJson, /is not JSON/],
    ['a JSON secret that is not an object', JSON.stringify([KEY_ID, SECRET_KEY]), /is not a JSON object/],
    [
      'a secret whose fields are named otherwise (extra fields, the expected ones missing)',
      JSON.stringify({ AccessKeyId: KEY_ID, SecretAccessKey: SECRET_KEY, [SECRET_KEY]: 'x' }),
      /"accessKeyId" is missing; "secretAccessKey" is missing/,
    ],
    [
      'a secret with a key id too short',
      JSON.stringify({ accessKeyId: SECRET_KEY.slice(0, 8), secretAccessKey: SECRET_KEY }),
      /"accessKeyId" is shorter than 16 characters/,
    ],
  ];
  for (const [what, secret, problem] of cases) {
    it(`names the secret and what is wrong, never a fragment of it: ${what}`, async () => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: secret });

      const error = await errorOf(resolve());

      expect(error).toBeInstanceOf(DestinationCredentialsError);
      expect(error.message).toContain(ARN);
      expect(error.message).toMatch(problem);
      expect(error.cause).toBeUndefined();
      expectNoFragment(`${error.message} ${String(error.stack)}`, SECRET_KEY);
      expectNoFragment(error.message, KEY_ID.slice(4));
    });
  }

  it('reads the key from a secret with extra fields, which it ignores', () => {
    const parsed = parseAccessKeySecret(
      ARN,
      JSON.stringify({
        accessKeyId: KEY_ID,
        secretAccessKey: SECRET_KEY,
        rotatedAt: '2026-01-01',
        user: 'writer',
      }),
    );
    expect(parsed).toEqual({ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY });
  });

  it('keeps the secret out of the CloudFormation reason of the deploy-time connection check', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: notJson });
    const cloudFormation = mockClient(CloudFormationClient);
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: 'KinesisDestination', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() },
      ],
    });
    const iam = mockClient(IAMClient);
    iam
      .on(SimulatePrincipalPolicyCommand)
      .callsFake((input: { ActionNames: string[]; ResourceArns: string[] }) => ({
        EvaluationResults: input.ActionNames.map((action) => ({
          EvalActionName: action,
          EvalResourceName: input.ResourceArns[0],
          EvalDecision: 'allowed',
        })),
      }));
    const logger = logRecorder();
    const event = {
      RequestType: 'Create',
      ServiceToken: 'token',
      ResponseURL: 'https://example.com',
      RequestId: 'req',
      LogicalResourceId: 'ConnectionCheck',
      ResourceType: 'Custom::KinesisConnectionCheck',
      StackId: 'arn:aws:cloudformation:us-east-2:123456789012:stack/KinesisDestination/abc',
      ResourceProperties: {
        ServiceToken: 'token',
        ExportRoleArn: 'arn:aws:iam::123456789012:role/KinesisDestination-export-us-east-2',
        Destinations: [
          {
            destinationId: 'marketing',
            region: 'us-east-2',
            streamName: 's',
            streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/s',
            credentialsSecretArn: ARN,
          },
        ],
      },
    } as CloudFormationCustomResourceEvent;

    const error = await errorOf(
      runConnectionCheck(
        event,
        { invokedFunctionArn: 'arn:aws:lambda:us-east-2:123456789012:function:check' },
        {
          sts: new STSClient({}),
          secrets: new SecretsManagerClient({}),
          iam: new IAMClient({}),
          cloudFormation: new CloudFormationClient({}),
          kinesisFor: () => new KinesisClient({}),
          logger,
          sleep: async () => undefined,
        },
      ),
    );
    cloudFormation.restore();
    iam.restore();

    expect(error.message).toContain(ARN);
    expect(error.message).toContain('is not JSON');
    expectNoFragment(`${error.message}\n${logger.lines.join('\n')}`, SECRET_KEY);
  });
});

describe('redactCredentials()', () => {
  it('takes out the credential values given, access key ids and session tokens', () => {
    const token = 'IQoJb3JpZ2luX2VjE'.repeat(10);
    const text = `signature mismatch for ${KEY_ID}/${SECRET_KEY} with x-amz-security-token:${token}; export 0123456789abcdef0123456789abcdef01234567`;

    const redacted = redactCredentials(text, [SECRET_KEY]);

    expect(redacted).toBe(
      'signature mismatch for [access key id]/[redacted] with x-amz-security-token:[redacted]; export 0123456789abcdef0123456789abcdef01234567',
    );
  });

  it('knows the codes with which AWS refuses credentials', () => {
    for (const code of [
      'UnrecognizedClientException',
      'ExpiredTokenException',
      'InvalidSignatureException',
      'AccessDeniedException',
    ])
      expect(isAuthenticationError(code)).toBe(true);
    expect(isAuthenticationError('ProvisionedThroughputExceededException')).toBe(false);
  });
});

describe('DestinationClients', () => {
  const config = parseConfig({
    destinations: [{ ...destination(), credentialsSecretArn: ARN }],
    segmentCatalog: CATALOG,
  });
  const marketing = config.destinations[0] as (typeof config.destinations)[number];

  it('reads the secret again after refresh(): a rotated key is used at once', async () => {
    const rotated = 'AKIAI44QH8DHBEXAMPLE';
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ accessKeyId: KEY_ID, secretAccessKey: SECRET_KEY }) })
      .resolves({
        SecretString: JSON.stringify({ accessKeyId: rotated, secretAccessKey: `${SECRET_KEY}2` }),
      });
    const used: string[] = [];
    const kinesis = mockClient(KinesisClient);
    kinesis.on(PutRecordsCommand).resolves({ Records: [] });
    const clients = new DestinationClients({ secrets: new SecretsManagerClient({}) });
    const keyIdOf = async () => {
      const { client } = clients.forDestination(marketing);
      const credentials = await client.config.credentials();
      used.push(credentials.accessKeyId);
    };

    await keyIdOf();
    await keyIdOf();
    expect(clients.refresh(marketing)).toBe(true);
    await keyIdOf();

    expect(used).toEqual([KEY_ID, KEY_ID, rotated]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // Every value handed out is taken out of error texts.
    expect(clients.redact(`bad ${SECRET_KEY}2 and ${SECRET_KEY}`)).toBe('bad [redacted] and [redacted]');
    kinesis.restore();
  });

  it('has nothing to refresh for a destination written with the function’s own role', () => {
    const own = parseConfig({ destinations: [destination()], segmentCatalog: CATALOG }).destinations[0];
    if (own === undefined) throw new Error('no destination');
    expect(new DestinationClients().refresh(own)).toBe(false);
  });
});
