import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_SOURCES, type Deployment, type DeploymentResource } from '../../cli/deployment.js';
import { STACK_OUTPUT, STACK_OUTPUTS } from '../../core/stack-outputs.js';
import type { KinesisDestinationStack } from '../../lib/kinesis-destination-stack.js';
import { exampleConfig, synth } from './synth.js';

let stack: KinesisDestinationStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synth(exampleConfig()));
});

/** What each resource the CLI reads is, in the stack: the value its output must hold. */
function expectedValues(s: KinesisDestinationStack): Record<keyof Deployment, string> {
  const p = s.pipeline;
  return {
    profileTableName: p.profileTable.tableName,
    stateTableName: p.stateTable.tableName,
    exportQueueUrl: p.exportQueue.queueUrl,
    dlqUrl: p.deadLetterQueue.queueUrl,
    rejectsQueueUrl: p.rejectsQueue.queueUrl,
    decideFailuresQueueUrl: p.decideFailuresQueue.queueUrl,
  };
}

describe('the default stack’s outputs', () => {
  it('hold every output the CLI reads, each referring to the resource the CLI takes it for', () => {
    const expected = expectedValues(stack);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    for (const [resource, source] of Object.entries(DEPLOYMENT_SOURCES)) {
      const value = stack.resolve(expected[resource as DeploymentResource]);
      expect(outputs[source.output]?.Value, `${source.output} (${resource})`).toEqual(value);
    }
    // Not a tautology: the values are references to distinct resources.
    expect(new Set(Object.values(expected).map((v) => JSON.stringify(stack.resolve(v)))).size).toBe(6);
  });

  it('are exactly the outputs core/stack-outputs.ts declares, with its descriptions', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Description?: string }>;
    const staticEgressOnly = [STACK_OUTPUT.staticEgressIps, STACK_OUTPUT.kinesisVpcEndpointId] as string[];

    expect(Object.keys(outputs).sort()).toEqual(
      Object.values(STACK_OUTPUT)
        .filter((name) => !staticEgressOnly.includes(name))
        .sort(),
    );
    for (const spec of Object.values(STACK_OUTPUTS)) {
      if (outputs[spec.name] !== undefined) expect(outputs[spec.name]?.Description).toBe(spec.description);
    }
  });
});
