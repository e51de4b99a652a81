import { createRequire } from 'node:module';
import { App, CfnResource, Stack, TagManager } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KinesisDestinationStack } from '../../lib/kinesis-destination-stack.js';
import { destinationIdsValue } from '../../lib/pipeline-tags.js';
import { restrictRedriveSources } from '../../lib/redrive-allow-policy.js';
import { cdkJsonContext, configWith, exampleConfig, statementsOf, synth, variantsConfig } from './synth.js';

const require = createRequire(import.meta.url);

let template: Template;
beforeAll(() => {
  template = synth(exampleConfig()).template;
});

describe('CDK conventions of the default app', () => {
  describe('feature flags', () => {
    it('sets every recommended flag of the installed aws-cdk-lib, as cdk init writes them', () => {
      const recommended = require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;
      const context = cdkJsonContext();
      const missing = Object.entries(recommended).filter(
        ([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value),
      );
      expect(missing).toEqual([]);
    });

    it('minimizes policies: decide\'s "*" actions (stream listing, tracing) share one statement', () => {
      const wildcard = statementsOf(template, 'DecideRole').filter((s) => s.Resource === '*');
      expect(wildcard).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
          Resource: '*',
        },
      ]);
    });
  });

  describe('tags', () => {
    /** Each taggable resource's tags as key → value, by logical id. */
    function tagsOfTaggable(stack: Stack, template: Template): Map<string, Record<string, string>> {
      const resources = template.toJSON().Resources as Record<string, { Properties?: { Tags?: unknown } }>;
      const found = new Map<string, Record<string, string>>();
      for (const c of stack.node.findAll()) {
        if (!(c instanceof CfnResource) || !(TagManager.isTaggable(c) || TagManager.isTaggableV2(c)))
          continue;
        const id = stack.getLogicalId(c);
        const tags = resources[id]?.Properties?.Tags;
        // A list of { Key, Value } (most types) or a map (a few, e.g. SSM).
        const map = Array.isArray(tags)
          ? Object.fromEntries((tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]))
          : ((tags ?? {}) as Record<string, string>);
        found.set(id, map);
      }
      return found;
    }

    it('puts Application and the destination ids on every taggable resource of the default app', () => {
      const { stack, template } = synth(variantsConfig());
      const tagged = tagsOfTaggable(stack, template);
      expect(tagged.size).toBeGreaterThan(40);
      for (const [id, tags] of tagged) {
        expect({ id, ...tags }).toMatchObject({
          id,
          Application: 'kinesis-destination',
          DestinationIds: 'marketing analytics',
        });
      }
    });

    it('tags a created stream with its own destination id', () => {
      const { template } = synth(variantsConfig());
      const [stream] = Object.values(template.findResources('AWS::Kinesis::Stream'));
      expect(stream?.Properties.Name).toBe('profile-exports');
      expect(stream?.Properties.Tags).toContainEqual({ Key: 'DestinationId', Value: 'marketing' });
    });

    it('fits many destination ids into one tag value', () => {
      const ids = Array.from({ length: 40 }, (_, i) => `destination-number-${i}`);
      const value = destinationIdsValue(ids);
      expect(value.length).toBeLessThanOrEqual(256);
      expect(value).toMatch(/^destination-number-0 destination-number-1 .* \+\d+$/);
      expect(destinationIdsValue(['a', 'b'])).toBe('a b');
    });
  });

  describe('partition', () => {
    it('writes no partition into an ARN: every ARN the stack builds uses AWS::Partition', () => {
      expect(JSON.stringify(template.toJSON())).not.toMatch(/arn:aws[a-z-]*:/);
    });

    it('uses the aws-cn partition for a stack in China, and aws-us-gov in GovCloud', () => {
      for (const [region, partition] of [
        ['cn-north-1', 'aws-cn'],
        ['us-gov-west-1', 'aws-us-gov'],
      ] as const) {
        const config = configWith((raw) => {
          for (const d of raw.destinations) Object.assign(d, { region });
        });
        const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
        const stack = new KinesisDestinationStack(app, 'KinesisDestination', {
          config,
          env: { account: '123456789012', region },
        });
        const text = JSON.stringify(CdkTemplate.fromStack(stack).toJSON());
        const arns = [...text.matchAll(/arn:([a-z-]+):/g)].map((m) => m[1]);
        expect(arns.length).toBeGreaterThan(0);
        expect(new Set(arns)).toEqual(new Set([partition]));
      }
    });
  });
});

describe('the dead-letter queue', () => {
  it('accepts dead letters from the export queue only (RedriveAllowPolicy byQueue, set once both exist)', () => {
    const [call] = Object.values(template.findResources('Custom::SqsRedriveAllowPolicy'));
    const create = JSON.stringify(call?.Properties.Create);
    expect(create).toContain('\\"action\\":\\"SetQueueAttributes\\"');
    expect(create).toContain('\\\\\\"redrivePermission\\\\\\":\\\\\\"byQueue\\\\\\"');
    expect(create).toMatch(/"QueuesExportQueue[0-9A-F]{8}","Arn"/);
    expect(create).toMatch(/"Ref":"QueuesDeadLetterQueue[0-9A-F]{8}"/);
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('DeadLetterRedriveAllowPolicyCustomResourcePolicy'),
    );
    expect(policy?.[1].Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'SetDeadLetterRedriveAllowPolicy',
        Effect: 'Allow',
        Action: 'sqs:SetQueueAttributes',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^QueuesDeadLetterQueue/), 'Arn'] },
      },
    ]);
  });

  it("gives the stack's AwsCustomResource function a role of its own, without managed policies, when it is the first", () => {
    const app = new App();
    const stack = new Stack(app, 'Queues');
    const key = new kms.Key(stack, 'Key');
    const dlq = new sqs.Queue(stack, 'Dlq');
    const source = new sqs.Queue(stack, 'Source', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    restrictRedriveSources(stack, 'RedriveAllow', { deadLetterQueue: dlq, sourceQueue: source, logKey: key });
    const template = CdkTemplate.fromStack(stack);

    const roles = Object.entries(template.findResources('AWS::IAM::Role'));
    expect(roles.map(([id]) => id)).toEqual([expect.stringMatching(/^RedriveAllowRole/)]);
    expect(roles[0]?.[1].Properties.ManagedPolicyArns).toBeUndefined();
  });
});
