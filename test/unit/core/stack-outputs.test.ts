import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../core/errors.js';
import {
  isOutputPrefix,
  outputPrefixOf,
  pipelineOutputKey,
  STACK_OUTPUT,
  selectPipelineOutputs,
} from '../../../core/stack-outputs.js';

/** The outputs of one pipeline under `prefix`, named `name`. */
function pipelineOutputs(prefix: string, name: string, queueUrl: string): [string, string][] {
  return [
    [pipelineOutputKey(prefix, 'pipelineName'), name],
    [pipelineOutputKey(prefix, 'exportQueueUrl'), queueUrl],
    [pipelineOutputKey(prefix, 'deadLetterQueueUrl'), `${queueUrl}-dlq`],
  ];
}

describe('outputPrefixOf()', () => {
  it('writes a pipeline name in PascalCase, letters and digits only', () => {
    expect(outputPrefixOf('staging-eu')).toBe('StagingEu');
    expect(outputPrefixOf('TeamStack-ProfileExports')).toBe('TeamStackProfileExports');
    expect(outputPrefixOf('prod2')).toBe('Prod2');
    expect(isOutputPrefix(outputPrefixOf('staging-eu'))).toBe(true);
    expect(isOutputPrefix('Staging-Eu')).toBe(false);
    expect(isOutputPrefix('')).toBe(true);
  });
});

describe('selectPipelineOutputs()', () => {
  const two = new Map([
    ...pipelineOutputs('Staging', 'staging', 'https://sqs/staging'),
    ...pipelineOutputs('Prod', 'prod', 'https://sqs/prod'),
  ]);

  it('returns the named pipeline’s outputs by their unprefixed names', () => {
    const prod = selectPipelineOutputs(two, 'prod');

    expect(prod.get(STACK_OUTPUT.exportQueueUrl)).toBe('https://sqs/prod');
    expect(prod.get(STACK_OUTPUT.deadLetterQueueUrl)).toBe('https://sqs/prod-dlq');
  });

  it('takes the only pipeline of a stack without a name, prefixed or not', () => {
    const one = new Map(pipelineOutputs('Staging', 'staging', 'https://sqs/staging'));
    expect(selectPipelineOutputs(one, undefined).get(STACK_OUTPUT.exportQueueUrl)).toBe(
      'https://sqs/staging',
    );

    const defaultStack = new Map(pipelineOutputs('', 'KinesisDestination', 'https://sqs/default'));
    expect(selectPipelineOutputs(defaultStack, undefined).get(STACK_OUTPUT.exportQueueUrl)).toBe(
      'https://sqs/default',
    );
    expect(selectPipelineOutputs(defaultStack, 'KinesisDestination').get(STACK_OUTPUT.exportQueueUrl)).toBe(
      'https://sqs/default',
    );
  });

  it('reads a stack whose outputs name no pipeline as they are (a default stack deployed before)', () => {
    const old = new Map([[STACK_OUTPUT.exportQueueUrl, 'https://sqs/old']]);
    expect(selectPipelineOutputs(old, undefined).get(STACK_OUTPUT.exportQueueUrl)).toBe('https://sqs/old');
  });

  it('refuses to guess among several pipelines, and an unknown name, listing what the stack holds', () => {
    expect(() => selectPipelineOutputs(two, undefined, 'stack "Team"')).toThrow(
      new UsageError('stack "Team" holds 2 pipelines (staging, prod): pass --pipeline <name> to choose one'),
    );
    expect(() => selectPipelineOutputs(two, 'dev', 'stack "Team"')).toThrow(
      'stack "Team" has no pipeline "dev"; it has staging, prod: pass --pipeline with one of them',
    );
  });
});
