import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { PIPELINE_NODE_FLOOR, pipelineRuntime } from '../../lib/pipeline-function.js';
import { exampleConfig, synth } from './synth.js';

const scratch = mkdtempSync(join(tmpdir(), 'kd-runtime-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A runtime as pipelineRuntime() reads it; not a `new Runtime`, which registers in Runtime.ALL. */
const node = (name: string, isVariable = false) =>
  ({ name, family: lambda.RuntimeFamily.NODEJS, isVariable }) as lambda.Runtime;

describe('pipelineRuntime()', () => {
  it('picks the newest fixed Node.js runtime aws-cdk-lib knows, not NODEJS_LATEST', () => {
    const known = [
      node('nodejs22.x'),
      node('nodejs24.x', true),
      node('nodejs24.x'),
      node('nodejs26.x'),
      lambda.Runtime.PYTHON_3_13,
    ];

    expect(pipelineRuntime(known).name).toBe('nodejs26.x');
  });

  it('ignores a newer variable runtime (NODEJS_LATEST moves with aws-cdk-lib)', () => {
    expect(pipelineRuntime([node('nodejs24.x'), node('nodejs28.x', true)]).name).toBe('nodejs24.x');
  });

  it('refuses an aws-cdk-lib that knows no runtime the bundles are built for', () => {
    expect(() => pipelineRuntime([node('nodejs20.x'), node('nodejs22.x')])).toThrow(
      `the functions need Node.js ${PIPELINE_NODE_FLOOR} or later, and this aws-cdk-lib knows nodejs22.x: upgrade aws-cdk-lib to 2.276.0 or later`,
    );
  });

  it('is the installed aws-cdk-lib newest Node.js runtime, from the bundles floor on', () => {
    const major = Number(/^nodejs(\d+)\.x$/.exec(pipelineRuntime().name)?.[1]);

    expect(major).toBeGreaterThanOrEqual(PIPELINE_NODE_FLOOR);
  });
});

describe('AwsSolutions-L1 (latest runtime) with an aws-cdk-lib that knows a newer Node.js', () => {
  it('passes: the functions follow it, and aws-cdk-lib own functions are acknowledged', () => {
    // What aws-cdk-lib 2.278 does: NODEJS_26_X exists while NODEJS_LATEST is still nodejs24.x.
    // A new Runtime registers itself in Runtime.ALL, which cdk-nag compares with. The infra files share
    // their worker thread's aws-cdk-lib (no isolation), so the registration is undone when this test ends.
    const added = new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
    onTestFinished(() => {
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(added), 1);
    });
    const { app, stack } = synth(exampleConfig(), { nag: true, outdir: join(scratch, 'nag') });

    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    const runtimes = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((fn) => fn.Properties.Layers !== undefined)
      .map((fn) => fn.Properties.Runtime);
    expect(runtimes).toEqual(['nodejs26.x', 'nodejs26.x', 'nodejs26.x', 'nodejs26.x']);
  });
});
