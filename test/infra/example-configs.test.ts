/**
 * The example configs other than the default one, synthesized in process the way bin/app.ts does it
 * (the config file loaded and validated, the stack, the cdk-nag packs, cdk.json's context, bundling
 * skipped): each is cdk-nag clean and has the resources its example is about. The default config runs
 * through bin/app.ts itself in a child process (examples.e2e.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../adapters/config-file.js';
import { synth } from './synth.js';

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}.json`, import.meta.url));

describe('the example configs (offline, cdk-nag clean)', () => {
  it.each(['cross-account', 'access-key', 'static-egress'])('examples/%s.json synthesizes', (name) => {
    const { app } = synth(loadConfigFile(example(name)), { nag: true });

    // cdk-nag's packs are a validation plugin: an unacknowledged finding makes synthesis throw.
    const assembly = app.synth();
    const template = assembly.getStackByName('KinesisDestination').template as {
      Resources: Record<string, { Type: string }>;
      Outputs?: Record<string, unknown>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);

    expect(types).toContain('Custom::KinesisConnectionCheck');
    if (name === 'static-egress') {
      expect(types.filter((t) => t === 'AWS::EC2::NatGateway')).toHaveLength(2);
      expect(template.Outputs).toHaveProperty('StaticEgressIps');
    } else {
      expect(types.filter((t) => t.startsWith('AWS::EC2::'))).toEqual([]);
    }
  });
});
