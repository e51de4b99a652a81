import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { assumingRoleArns } from '../../cli/policy.js';
import { parseConfig } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import { KinesisDestinationStack } from '../../lib/kinesis-destination-stack.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { cdkJsonContext, configWith, exampleConfig, synth, variantsConfig } from './synth.js';

const ROLE_ARN = 'arn:aws:iam::210987654321:role/kinesis-destination-writer';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** The RoleName of the role whose logical id starts with `prefix`. */
function roleName(template: Template, prefix: string): unknown {
  const roles = Object.entries(template.findResources('AWS::IAM::Role') as Resources);
  return roles.find(([id]) => id.startsWith(prefix))?.[1].Properties.RoleName;
}

describe('one truth for cross-account trust', () => {
  it('gives the export and connection-check roles the names `policy --trust-policy` prints', () => {
    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new KinesisDestinationStack(app, 'KinesisDestination', {
      config: variantsConfig(),
      env: { account: '123456789012', region: 'us-east-2' },
    });
    const template = Template.fromStack(stack);

    const printed = assumingRoleArns({
      stack: 'KinesisDestination',
      region: 'us-east-2',
      account: '123456789012',
    });
    expect(printed.map((arn) => arn.split('role/')[1])).toEqual([
      roleName(template, 'ExportRole'),
      roleName(template, 'ConnectionCheckHandlerRole'),
    ]);
  });

  it('resolves the region at deploy time when the stack is environment-agnostic', () => {
    const { template } = synth(exampleConfig());
    expect(roleName(template, 'ExportRole')).toEqual({
      'Fn::Join': ['', ['KinesisDestination-export-', { Ref: 'AWS::Region' }]],
    });
    expect(roleName(template, 'ConnectionCheckHandlerRole')).toEqual({
      'Fn::Join': ['', ['KinesisDestination-check-', { Ref: 'AWS::Region' }]],
    });
    template.hasOutput('ConnectionCheckRoleArn', {
      Value: { 'Fn::GetAtt': [roleLogicalId(template, 'ConnectionCheckHandlerRole'), 'Arn'] },
    });
  });

  it("names a construct's roles after its pipeline name — by default its stack and id, cut with a hash — within IAM's 64 characters", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TeamStackWithAVeryLongNameIndeedThatGoesOnAndOn', {
      env: { account: '123456789012', region: 'ap-southeast-3' },
    });
    new KinesisDestination(stack, 'ProfileExports', propsFromConfig(stack, exampleConfig()));
    const template = Template.fromStack(stack);

    for (const [prefix, word] of [
      ['ProfileExportsExportRole', 'export'],
      ['ProfileExportsConnectionCheckHandlerRole', 'check'],
    ] as const) {
      const name = String(roleName(template, prefix));
      expect(name).toMatch(
        new RegExp(`^TeamStackWithAVeryLong[A-Za-z-]*-[0-9a-f]{8}-${word}-ap-southeast-3$`),
      );
      expect(name.length).toBeLessThanOrEqual(64);
    }
  });

  it('stops a roleArn without externalId, naming the path and the two fixes', () => {
    const config = () =>
      configWith((raw) => {
        Object.assign(raw.destinations[1] as object, { roleArn: ROLE_ARN });
      });
    expect(config).toThrow(ConfigError);
    expect(config).toThrow(
      'test config: destinations[1].externalId: is required with roleArn: the role\'s trust policy should require it (sts:ExternalId), so that nobody else can make this pipeline write with that role (the confused-deputy problem). Add "externalId": "<the value the trust policy checks>" (`npx kinesis-destination policy --destination analytics --trust-policy` prints that policy), or, if the role must be trusted without one, say why in "noExternalIdReason"',
    );
  });

  it('accepts a roleArn without externalId when the config says why, and only then', () => {
    const reason = 'the role is in our organization; its trust policy checks aws:PrincipalOrgID';
    const withReason = configWith((raw) => {
      Object.assign(raw.destinations[1] as object, { roleArn: ROLE_ARN, noExternalIdReason: reason });
    });
    expect(withReason.destinations[1]?.noExternalIdReason).toBe(reason);

    const raw = structuredClone(exampleConfig()) as unknown as { destinations: Record<string, unknown>[] };
    Object.assign(raw.destinations[0] as object, { noExternalIdReason: reason });
    expect(() => parseConfig(raw)).toThrow(
      'destinations[0].noExternalIdReason: is only used with roleArn; remove it',
    );
    Object.assign(raw.destinations[0] as object, { roleArn: ROLE_ARN, externalId: 'kd-external-id' });
    expect(() => parseConfig(raw)).toThrow(
      'destinations[0].noExternalIdReason: the destination has an externalId; remove noExternalIdReason',
    );
  });
});

function roleLogicalId(template: Template, prefix: string): string {
  const id = Object.keys(template.findResources('AWS::IAM::Role')).find((k) => k.startsWith(prefix));
  if (id === undefined) throw new Error(`no role ${prefix}*`);
  return id;
}
