import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { configWith, statementsOf, synth } from './synth.js';

const TABLE_KEY = 'arn:aws:kms:us-east-2:123456789012:key/9f8e7d6c-1111-2222-3333-444455556666';
const STREAM_ARN =
  'arn:aws:dynamodb:us-east-2:123456789012:table/customer-profiles/stream/2024-01-01T00:00:00.000';

/** Every statement of the role that names `resource`. */
function onResource(template: Template, rolePrefix: string, resource: string): Record<string, unknown>[] {
  return statementsOf(template, rolePrefix).filter((s) => JSON.stringify(s.Resource).includes(resource));
}

describe('customer-managed keys', () => {
  describe('an existing profile table under a customer-managed key (profileTable.kmsKeyArn)', () => {
    let template: Template;
    beforeAll(() => {
      template = synth(
        configWith((raw) => {
          raw.profileTable = { tableName: 'customer-profiles', streamArn: STREAM_ARN, kmsKeyArn: TABLE_KEY };
        }),
      ).template;
    });

    it.each(['DecideRole', 'BackfillRole'])(
      'grants %s exactly kms:Decrypt on that key, nothing else with it',
      (role) => {
        expect(onResource(template, role, TABLE_KEY)).toEqual([
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: TABLE_KEY },
        ]);
      },
    );

    it('grants the key to no other role', () => {
      for (const role of ['ExportRole', 'ConnectionCheckHandlerRole', 'BackfillTriggerRole']) {
        expect(onResource(template, role, TABLE_KEY)).toEqual([]);
      }
    });

    it('still maps the given stream to decide', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: STREAM_ARN });
    });
  });

  it('needs the table it belongs to: kmsKeyArn without streamArn names the fix', () => {
    expect(() =>
      configWith((raw) => {
        raw.profileTable = { tableName: 'customer-profiles', kmsKeyArn: TABLE_KEY };
      }),
    ).toThrow(
      'profileTable.kmsKeyArn: is the key of an existing table: set streamArn (and tableName) to import it; the table this stack creates uses the AWS managed key aws/dynamodb',
    );
  });

  it("lets CloudWatch use the pipeline key only for this account's alarms", () => {
    const { template } = synth(configWith(() => {}));
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    const statements = key?.Properties.KeyPolicy.Statement as Record<string, unknown>[];
    expect(statements.find((s) => s.Sid === 'CloudWatchAlarmsPublishToEncryptedTopic')).toEqual({
      Sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });
});
