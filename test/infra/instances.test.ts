import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../core/metric-names.js';
import { STACK_OUTPUT, selectPipelineOutputs } from '../../core/stack-outputs.js';
import { DestinationTarget } from '../../lib/destination-target.js';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import type { KinesisDestinationProps } from '../../lib/kinesis-destination-props.js';
import { addNagPacks } from '../../lib/nag.js';
import { alarmDimensions, destination, environmentOf, roleNames, SEGMENT, testApp } from './pipelines.js';

const ENV = { account: '123456789012', region: 'us-east-2' };

/** A pipeline's props: one destination on a stream of its own name. */
function props(stream: string, extra: Partial<KinesisDestinationProps> = {}): KinesisDestinationProps {
  return {
    destinations: [destination('marketing', DestinationTarget.streamNamed(stream, { region: 'us-east-2' }))],
    segmentCatalog: [SEGMENT],
    ...extra,
  };
}

/** The outputs of a template as `DescribeStacks` would list them: key → a printable value. */
function outputsOf(template: Template): Map<string, string> {
  const outputs = (template.toJSON().Outputs ?? {}) as Record<string, { Value: unknown }>;
  return new Map(
    Object.entries(outputs).map(([key, o]) => [
      key,
      typeof o.Value === 'string' ? o.Value : JSON.stringify(o.Value),
    ]),
  );
}

const intersection = <T>(a: readonly T[], b: readonly T[]) => a.filter((x) => b.includes(x));

describe('two pipelines in one stack', () => {
  const app = testApp();
  const stack = new Stack(app, 'Team', { env: ENV });
  const staging = new KinesisDestination(
    stack,
    'Staging',
    props('staging-exports', { pipelineName: 'staging' }),
  );
  const prod = new KinesisDestination(stack, 'Prod', props('prod-exports', { pipelineName: 'prod' }));
  addNagPacks(app);
  const template = Template.fromJSON(app.synth().getStackByName('Team').template);

  it('synthesizes, cdk-nag clean', () => {
    expect(template.toJSON().Resources).toBeDefined();
  });

  it('gives every alarm its own pipeline’s dimensions: no alarm of one watches the other’s metrics', () => {
    const a = alarmDimensions(template, 'Team', 'Staging');
    const b = alarmDimensions(template, 'Team', 'Prod');
    expect(a.length).toBeGreaterThan(20);
    expect(b.length).toBe(a.length);
    expect(intersection(a, b)).toEqual([]);
    expect(a).toContain('pipeline="staging",service="kinesis-destination"');
    expect(b).toContain('pipeline="prod",service="kinesis-destination"');
  });

  it('names each pipeline in its functions’ environment, the dimension its metrics carry', () => {
    expect(environmentOf(template, 'StagingExportFunction').KD_PIPELINE_NAME).toBe('staging');
    expect(environmentOf(template, 'ProdExportFunction').KD_PIPELINE_NAME).toBe('prod');
  });

  it('gives each its own role names and backfill name, from its pipeline name', () => {
    const names = roleNames(template);
    expect(names).toEqual(
      expect.arrayContaining([
        'staging-export-us-east-2',
        'staging-check-us-east-2',
        'prod-export-us-east-2',
        'prod-check-us-east-2',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    const functionNames = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.FunctionName,
    );
    expect(functionNames).toEqual(expect.arrayContaining(['staging-backfill', 'prod-backfill']));
  });

  it('writes each pipeline’s outputs under its own prefix, and the CLI’s selection finds each by name', () => {
    const outputs = outputsOf(template);
    expect([...outputs.keys()]).toEqual(
      expect.arrayContaining([
        'StagingExportQueueUrl',
        'ProdExportQueueUrl',
        'StagingPipelineName',
        'ProdPipelineName',
      ]),
    );
    const stagingQueue = selectPipelineOutputs(outputs, 'staging').get(STACK_OUTPUT.exportQueueUrl);
    const prodQueue = selectPipelineOutputs(outputs, 'prod').get(STACK_OUTPUT.exportQueueUrl);
    expect(stagingQueue).toContain('StagingQueuesExportQueue');
    expect(prodQueue).toContain('ProdQueuesExportQueue');
    expect(() => selectPipelineOutputs(outputs, undefined)).toThrow(/holds 2 pipelines \(staging, prod\)/);
  });

  it("builds each pipeline's metrics with its own dimensions", () => {
    const resolve = (m: { dimensions?: Record<string, unknown> }) => stack.resolve(m.dimensions);
    expect(resolve(staging.metricDeadLettered())).toEqual({
      service: 'kinesis-destination',
      pipeline: 'staging',
    });
    expect(resolve(prod.metricExportLatency())).toEqual({ service: 'kinesis-destination', pipeline: 'prod' });
    expect(prod.metricExportLatency().statistic).toBe('p95');
    expect(staging.metricDelivered().metricName).toBe(METRIC.recordsPut);
    expect(staging.metric(METRIC.rejects).period.toMinutes()).toBe(5);
  });
});

describe('two pipelines in two stacks of one account and region', () => {
  const app = testApp();
  const one = new Stack(app, 'TeamA', { env: ENV });
  const two = new Stack(app, 'TeamB', { env: ENV });
  // The same construct id in both: the default pipeline names differ by their stack.
  new KinesisDestination(one, 'ProfileExports', props('team-a-exports'));
  new KinesisDestination(two, 'ProfileExports', props('team-b-exports'));
  const a = Template.fromStack(one);
  const b = Template.fromStack(two);

  it('uses disjoint alarm dimensions, role names and backfill names', () => {
    expect(intersection(alarmDimensions(a, 'TeamA'), alarmDimensions(b, 'TeamB'))).toEqual([]);
    expect(alarmDimensions(a, 'TeamA')).toContain(
      'pipeline="TeamA-ProfileExports",service="kinesis-destination"',
    );
    expect(intersection(roleNames(a), roleNames(b))).toEqual([]);
    expect(roleNames(b)).toContain('TeamB-ProfileExports-export-us-east-2');
    a.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'TeamA-ProfileExports-backfill' });
  });

  it('lets the CLI find each stack’s only pipeline with --stack alone', () => {
    const outputs = selectPipelineOutputs(outputsOf(b), undefined, 'stack "TeamB"');
    expect(outputs.get(STACK_OUTPUT.pipelineName)).toBe('TeamB-ProfileExports');
    expect(outputs.get(STACK_OUTPUT.deadLetterQueueUrl)).toContain('ProfileExportsQueuesDeadLetterQueue');
  });
});

describe('names that do not depend on the construct path', () => {
  it('keeps role, backfill and output names when the construct moves under another parent', () => {
    const named = (build: (stack: Stack) => void) => {
      const stack = new Stack(testApp(), 'Team', { env: ENV });
      build(stack);
      const template = Template.fromStack(stack);
      return { roles: roleNames(template).sort(), outputs: [...outputsOf(template).keys()].sort() };
    };
    const before = named(
      (stack) => new KinesisDestination(stack, 'ProfileExports', props('s', { pipelineName: 'team' })),
    );
    const after = named(
      (stack) =>
        new KinesisDestination(
          new Construct(stack, 'Moved'),
          'ProfileExports',
          props('s', { pipelineName: 'team' }),
        ),
    );
    expect(after).toEqual(before);
    expect(before.roles).toEqual(['team-check-us-east-2', 'team-export-us-east-2']);
  });

  it('takes the export and check role names given', () => {
    const stack = new Stack(testApp(), 'Team', { env: ENV });
    new KinesisDestination(
      stack,
      'ProfileExports',
      props('s', {
        exportRoleName: 'partner-trusted-exporter',
        connectionCheckRoleName: 'partner-trusted-check',
      }),
    );
    expect(roleNames(Template.fromStack(stack)).sort()).toEqual([
      'partner-trusted-check',
      'partner-trusted-exporter',
    ]);
  });

  it('refuses a second pipeline of the app with the same name, and an output prefix taken in the stack', () => {
    const app = testApp();
    const stack = new Stack(app, 'Team', { env: ENV });
    new KinesisDestination(stack, 'One', props('s', { pipelineName: 'same' }));
    expect(() => new KinesisDestination(stack, 'Two', props('s', { pipelineName: 'same' }))).toThrow(
      /outputPrefix: "Same" is already the output prefix of Team\/One in stack Team[\s\S]*pipelineName: pipeline same is already Team\/One's/,
    );
    const other = new Stack(app, 'Other', { env: ENV });
    expect(() => new KinesisDestination(other, 'Three', props('s', { pipelineName: 'same' }))).toThrow(
      /pipelineName: pipeline same is already Team\/One's: two pipelines of an account and region need their own names/,
    );
  });
});
