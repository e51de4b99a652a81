#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addNagPacks } from 'kinesis-destination';
import { TeamStack } from './team-stack.js';

/**
 * An existing CDK app with the pipeline added to one of its stacks:
 *
 *     npx cdk synth --app 'npx tsx examples/existing-stack/app.ts'
 *
 * cdk-nag (AwsSolutions + NIST 800-53 rev 5) runs on every synth, as in the default app.
 */
const app = new App();
new TeamStack(app, 'TeamStack', { description: 'A team stack with profile exports to Kinesis' });
addNagPacks(app);
app.synth();
