import { createRequire } from 'node:module';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext, exampleConfig, statementsOf, synth } from './synth.js';

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
});
