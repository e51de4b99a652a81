import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { configWith, exampleConfig, synth } from './synth.js';

type Resource = { DeletionPolicy?: string; UpdateReplacePolicy?: string };

/** The removal policies of every resource of `type`, by logical id. */
function policies(template: Template, type: string): Record<string, [string?, string?]> {
  const found = template.findResources(type) as Record<string, Resource>;
  return Object.fromEntries(
    Object.entries(found).map(([id, r]) => [id, [r.DeletionPolicy, r.UpdateReplacePolicy]]),
  );
}

/** One destination creates its stream. */
const withCreatedStream = (extra: Record<string, unknown> = {}) =>
  configWith((raw) => {
    Object.assign(raw.destinations[0] as object, { createStream: { mode: 'ON_DEMAND' } });
    Object.assign(raw, extra);
  });

describe('data survives the stack', () => {
  describe('by default', () => {
    let template: Template;
    beforeAll(() => {
      template = synth(withCreatedStream()).template;
    });

    it('keeps every queue on delete and replacement, and deletes it only when its own creation rolls back', () => {
      const queues = policies(template, 'AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(5);
      for (const policy of Object.values(queues)) expect(policy).toEqual(['RetainExceptOnCreate', 'Retain']);
    });

    it('keeps the state table (delivery ledger, failure log) the same way, and the profile table always', () => {
      const tables = Object.entries(policies(template, 'AWS::DynamoDB::Table'));
      expect(tables.find(([id]) => id.startsWith('StateTable'))?.[1]).toEqual([
        'RetainExceptOnCreate',
        'Retain',
      ]);
      expect(tables.find(([id]) => id.startsWith('ProfileTable'))?.[1]).toEqual(['Retain', 'Retain']);
    });

    it('keeps a created stream the same way', () => {
      expect(Object.values(policies(template, 'AWS::Kinesis::Stream'))).toEqual([
        ['RetainExceptOnCreate', 'Retain'],
      ]);
    });
  });

  describe('"dataRemovalPolicy": "destroy" (test stacks)', () => {
    let template: Template;
    beforeAll(() => {
      template = synth(withCreatedStream({ dataRemovalPolicy: 'destroy' })).template;
    });

    it('deletes the queues, the state table and the created streams with the stack', () => {
      for (const type of ['AWS::SQS::Queue', 'AWS::Kinesis::Stream']) {
        for (const policy of Object.values(policies(template, type)))
          expect(policy).toEqual(['Delete', 'Delete']);
      }
      const tables = Object.entries(policies(template, 'AWS::DynamoDB::Table'));
      expect(tables.find(([id]) => id.startsWith('StateTable'))?.[1]).toEqual(['Delete', 'Delete']);
    });

    it('still keeps the profile table: the system of record is not test data', () => {
      const tables = Object.entries(policies(template, 'AWS::DynamoDB::Table'));
      expect(tables.find(([id]) => id.startsWith('ProfileTable'))?.[1]).toEqual(['Retain', 'Retain']);
    });
  });

  it('names the path and the two values of a misspelled policy', () => {
    const raw = { ...structuredClone(exampleConfig()), dataRemovalPolicy: 'delete' };
    expect(() => parseConfig(raw)).toThrow(
      'dataRemovalPolicy: must be "retain" (keep queues, state table and created streams when the stack is deleted) or "destroy" (delete them: test stacks only)',
    );
  });

  it('refuses SNAPSHOT on the construct: queues and streams have none', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Team');
    expect(
      () =>
        new KinesisDestination(stack, 'Pipeline', {
          ...propsFromConfig(stack, exampleConfig()),
          dataRemovalPolicy: RemovalPolicy.SNAPSHOT,
        }),
    ).toThrow(/dataRemovalPolicy: SNAPSHOT is not supported/);
  });
});
