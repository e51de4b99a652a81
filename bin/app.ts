#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../adapters/config-file.js';
import { addNagPacks, KinesisDestinationStack } from '../lib/index.js';
import { DEFAULT_ENTRIES } from '../lib/kinesis-destination-defaults.js';

/**
 * The default CDK app: `npx cdk deploy -c config=<file>` (default examples/config.json), optionally
 * `-c stackName=<id>` (default KinesisDestination). One stack around the `KinesisDestination`
 * construct, filled from the config file; to add the construct to your own app instead, see
 * examples/existing-stack/. Environment-agnostic unless CDK_DEFAULT_ACCOUNT/REGION are set, so
 * `cdk synth` works offline.
 */
const app = new App();
const configFile = String(app.node.tryGetContext('config') ?? DEFAULT_CONFIG_PATH);
const stackName = String(app.node.tryGetContext('stackName') ?? 'KinesisDestination');

let config: ReturnType<typeof loadConfigFile>;
try {
  config = loadConfigFile(configFile);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const missing = Object.values(DEFAULT_ENTRIES).filter((entry) => !existsSync(join(entry, 'index.mjs')));
if (missing.length > 0) {
  console.error(
    `missing prebundled Lambda handlers: ${missing.map((m) => relative(process.cwd(), m)).join(', ')}: run \`npm run build:handlers\` (cdk.json's app command does)`,
  );
  process.exit(1);
}

new KinesisDestinationStack(app, stackName, {
  config,
  description: 'kinesis-destination: profile exports from DynamoDB to Amazon Kinesis',
});
addNagPacks(app);
app.synth();
