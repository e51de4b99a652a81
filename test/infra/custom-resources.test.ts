import { describe, expect, it } from 'vitest';
import { CUSTOM_RESOURCE_SERVICE_TIMEOUT } from '../../lib/service-timeout.js';
import { configWith, exampleConfig, synth, variantsConfig } from './synth.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Every custom resource of a template, whatever its type: `AWS::CloudFormation::CustomResource` or `Custom::*`. */
function customResources(resources: Resources): [string, Resources[string]][] {
  return Object.entries(resources).filter(
    ([, r]) => r.Type === 'AWS::CloudFormation::CustomResource' || r.Type.startsWith('Custom::'),
  );
}

describe('custom resources', () => {
  // Between them: the connection check (imported streams), the stream-name check (created streams),
  // the backfill trigger and the redrive allow policy.
  const cases = {
    default: exampleConfig,
    variants: variantsConfig,
    'created streams only': () =>
      configWith((raw) => {
        for (const d of raw.destinations) Object.assign(d, { createStream: { mode: 'ON_DEMAND' } });
      }),
  };

  it.each(Object.entries(cases))(
    'each has a ServiceTimeout of minutes, not the hour CloudFormation waits by default (%s)',
    (_name, config) => {
      const resources = synth(config()).template.toJSON().Resources as Resources;
      const found = customResources(resources);

      expect(found.length).toBeGreaterThanOrEqual(3);
      for (const [id, resource] of found) {
        expect({ id, ServiceTimeout: resource.Properties?.ServiceTimeout }).toEqual({
          id,
          ServiceTimeout: String(CUSTOM_RESOURCE_SERVICE_TIMEOUT.toSeconds()),
        });
      }
      expect(CUSTOM_RESOURCE_SERVICE_TIMEOUT.toSeconds()).toBeLessThanOrEqual(600);
    },
  );

  it('covers every kind the pipeline creates', () => {
    const types = new Set(
      [exampleConfig, variantsConfig].flatMap((config) =>
        customResources(synth(config()).template.toJSON().Resources as Resources).map(([, r]) => r.Type),
      ),
    );
    expect([...types].sort()).toEqual([
      'Custom::KinesisConnectionCheck',
      'Custom::KinesisDestinationBackfill',
      'Custom::KinesisStreamNameCheck',
      'Custom::SqsRedriveAllowPolicy',
    ]);
  });
});
