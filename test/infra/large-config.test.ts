import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { type DestinationConfig, parseConfig } from '../../core/config.js';
import { synth } from './synth.js';

const scratch = mkdtempSync(join(tmpdir(), 'kd-large-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SEGMENTS = 1_000;
const DESTINATIONS = 50;
/** Each destination maps its own 20 segments: every catalog segment is mapped once. */
const MAPPED_PER_DESTINATION = SEGMENTS / DESTINATIONS;

/** A segment id shaped like the platform's (a UUID). */
const segmentId = (n: number) => `${n.toString(16).padStart(8, '0')}-1b2c-4d3e-8f4a-5b6c7d8e9f00`;

/** A config of the size the issue names: 1,000 catalog segments, 50 destinations. */
function largeConfig(): DestinationConfig {
  return parseConfig(
    {
      destinations: Array.from({ length: DESTINATIONS }, (_, d) => ({
        id: `destination-${d}`,
        name: `Amazon Kinesis – team ${d}`,
        description: `Profiles for team ${d}'s audiences, exported as they qualify.`,
        region: 'us-east-2',
        streamName: `profile-exports-${d}`,
        includeSegmentNames: true,
        includeSegmentTimestamps: true,
        segments: Array.from({ length: MAPPED_PER_DESTINATION }, (_, s) => ({
          id: segmentId(d * MAPPED_PER_DESTINATION + s),
          mappingCreatedAt: 1_649_856_570_000,
          mappingUpdatedAt: 1_649_856_570_000,
        })),
        attributes: [
          'person.name.firstName',
          'person.name.lastName',
          'personalEmail.address',
          'loyalty.tier',
        ],
      })),
      segmentCatalog: Array.from({ length: SEGMENTS }, (_, n) => ({
        id: segmentId(n),
        name: `Audience ${n}: customers who qualified for campaign ${n}`,
        mergePolicyId: 'mp-default',
        createdAt: 1_648_553_325_000,
        updatedAt: 1_648_553_330_000,
      })),
    },
    'large config',
  );
}

describe('a config of 1,000 catalog segments and 50 destinations', () => {
  it('synthesizes, with the config in the layer and nothing of it in the functions', () => {
    const config = largeConfig();
    const json = JSON.stringify(config);
    const outdir = join(scratch, 'out');

    const { app } = synth(config, { outdir });
    const templateFile = join(app.synth().directory, 'KinesisDestination.template.json');
    const template = Template.fromJSON(JSON.parse(readFileSync(templateFile, 'utf8')));

    // Far beyond what an esbuild define on a command line took (E2BIG at about 140 KB).
    expect(json.length).toBeGreaterThan(250_000);
    const [layer] = Object.values(template.findResources('AWS::Lambda::LayerVersion'));
    const layerDir = join(outdir, `asset.${String(layer?.Properties.Content.S3Key).replace(/\.zip$/, '')}`);
    expect(readFileSync(join(layerDir, 'kinesis-destination', 'config.json'), 'utf8')).toBe(json);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    for (const fn of functions) {
      // Lambda's limit on a function's variables is 4 KB in all.
      expect(JSON.stringify(fn.Properties.Environment ?? {}).length).toBeLessThan(4_096);
    }
    // CloudFormation takes a template of up to 1 MB (from S3).
    expect(statSync(templateFile).size).toBeLessThan(1_000_000);
  });
});
