#!/usr/bin/env node
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { addNagPacks, KinesisDestination, loadConfigFile, propsFromConfig } from 'kinesis-destination';

/**
 * The construct filled from the config file the default app reads — the way from the config-file app
 * to your own stack (docs/DEPLOY.md, "Upgrading from the config-file app"):
 *
 *     npx cdk synth --app 'npx tsx examples/config-file/app.ts'
 *
 * `propsFromConfig` turns the file's destinations into typed targets (its ARNs become imported
 * roles, secrets and keys); props the file has no field for are spread over it. A JavaScript app
 * does the same with `require('kinesis-destination')`.
 */
const app = new App();
const stack = new Stack(app, 'TeamStack', { description: 'kinesis-destination from a config file' });
const config = loadConfigFile(new URL('../config.json', import.meta.url).pathname);

new KinesisDestination(stack, 'ProfileExports', {
  ...propsFromConfig(stack, config),
  // Keep the names a trust policy already holds, e.g. those of an earlier default-app deployment.
  pipelineName: 'profile-exports',
  operatorRoles: [
    iam.Role.fromRoleArn(stack, 'Operators', 'arn:aws:iam::123456789012:role/ops/redrive-operator'),
  ],
});

addNagPacks(app);
app.synth();
