import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DestinationConfig } from '../../core/config.js';
import { exampleConfig, synth, variantsConfig } from './synth.js';
import { diffTemplates, fixtureText, type TemplateJson } from './template-diff.js';

/**
 * The default app's template is a contract with every deployed stack: a changed logical id makes
 * CloudFormation replace the resource (a new profile table, new queues with their messages lost).
 * These tests compare the synthesized template with the committed reference, resource by resource
 * (logical id, type, every property, DependsOn and policies), plus outputs, rules and parameters.
 * Asset keys (content hashes) are normalized to `ASSET.zip`.
 *
 * A deliberate template change (a new alarm, another removal policy) regenerates the references:
 *
 *     UPDATE_TEMPLATE_FIXTURES=1 npx vitest run test/infra/template-diff.test.ts
 *
 * then review `git diff test/infra/fixtures/` and commit it with the change. Nothing regenerates them
 * otherwise.
 */
const UPDATE = process.env.UPDATE_TEMPLATE_FIXTURES === '1';

const fixturePath = (name: string) =>
  fileURLToPath(new URL(`./fixtures/template-before-construct-${name}.json`, import.meta.url));

const cases: [name: string, config: () => DestinationConfig][] = [
  ['default', exampleConfig],
  ['variants', variantsConfig],
];

describe('template of the default app (no resource replaced on update)', () => {
  for (const [name, config] of cases) {
    it(`keeps the ${name} template's logical ids, types and properties`, () => {
      const synthesized = synth(config()).template.toJSON() as TemplateJson;
      if (UPDATE) writeFileSync(fixturePath(name), fixtureText(synthesized));
      const reference = JSON.parse(readFileSync(fixturePath(name), 'utf8')) as TemplateJson;
      // One line per difference; the assertion message lists them all.
      expect(diffTemplates(reference, synthesized)).toEqual([]);
    });
  }
});

describe('diffTemplates', () => {
  const reference: TemplateJson = {
    Resources: {
      QueueA1B2C3D4: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, Tags: ['a', 'b'] } },
      FunctionE5F6: {
        Type: 'AWS::Lambda::Function',
        Properties: { Code: { S3Key: `${'a'.repeat(64)}.zip` } },
      },
    },
    Outputs: { QueueUrl: { Value: { Ref: 'QueueA1B2C3D4' } } },
  };

  it('finds nothing between a template and itself, nor across asset hashes', () => {
    const rebuilt = JSON.parse(JSON.stringify(reference).replace(/a{64}/, 'b'.repeat(64))) as TemplateJson;
    expect(JSON.stringify(rebuilt)).toContain('b'.repeat(64));
    expect(diffTemplates(reference, rebuilt)).toEqual([]);
  });

  it('names a renamed logical id as one removal and one addition, and a changed value by its path', () => {
    const changed: TemplateJson = {
      Resources: {
        QueueFFFFFFFF: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, Tags: ['a', 'b'] } },
        FunctionE5F6: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: 'other.zip' } } },
      },
      Outputs: { QueueUrl: { Value: { Ref: 'QueueFFFFFFFF' } } },
    };
    expect(diffTemplates(reference, changed)).toEqual([
      `Outputs.QueueUrl.Value.Ref: "QueueA1B2C3D4" -> "QueueFFFFFFFF"`,
      'Resources.FunctionE5F6.Properties.Code.S3Key: "ASSET.zip" -> "other.zip"',
      'Resources.QueueA1B2C3D4: removed (AWS::SQS::Queue)',
      'Resources.QueueFFFFFFFF: added (AWS::SQS::Queue)',
    ]);
  });

  it('reports a changed type and a changed list item', () => {
    const changed = structuredClone(reference) as { Resources: Record<string, Record<string, unknown>> };
    changed.Resources.FunctionE5F6 = { Type: 'AWS::Serverless::Function' };
    changed.Resources.QueueA1B2C3D4 = {
      Type: 'AWS::SQS::Queue',
      Properties: { FifoQueue: true, Tags: ['a', 'c'] },
    };
    expect(diffTemplates(reference, changed)).toEqual([
      'Resources.FunctionE5F6: type AWS::Lambda::Function -> AWS::Serverless::Function',
      'Resources.QueueA1B2C3D4.Properties.Tags[1]: "b" -> "c"',
    ]);
  });
});
