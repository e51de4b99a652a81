/** The cdk-nag packs (AwsSolutions, NIST 800-53 rev 5) on the stack, synthesized in process. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { configWith, exampleConfig, synth, variantsConfig } from './synth.js';

const scratch = mkdtempSync(join(tmpdir(), 'kd-nag-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('cdk-nag (AwsSolutions + NIST 800-53 rev 5)', () => {
  it('passes the example config with every finding acknowledged', () => {
    const { app } = synth(exampleConfig(), { nag: true, outdir: join(scratch, 'nag-example') });
    expect(() => app.synth()).not.toThrow();
  });

  it('passes cross-account, access-key and created-stream destinations', () => {
    const { app } = synth(variantsConfig(), { nag: true, outdir: join(scratch, 'nag-variants') });
    expect(() => app.synth()).not.toThrow();
  });

  it('passes static egress IPs with the Kinesis endpoint (the VPC, NAT gateways, flow log, endpoint)', () => {
    const config = configWith((raw) => {
      raw.network = { staticEgressIps: true, kinesisEndpoint: true };
    });
    const { app } = synth(config, { nag: true, outdir: join(scratch, 'nag-egress') });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis on a new wildcard grant on a role whose Resource "*" findings are acknowledged', () => {
    const { app, stack } = synth(exampleConfig(), { nag: true, outdir: join(scratch, 'nag-wildcard') });
    stack.pipeline.exportRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kinesis:DescribeStream'], resources: ['*'] }),
    );
    expect(() => app.synth()).toThrow(
      /KinesisDestination\/Default\/Export\/Role holds kinesis:DescribeStream on Resource "\*": only xray:PutTraceSegments, xray:PutTelemetryRecords, kinesis:ListStreams may use "\*" on this role/,
    );
  });

  it('fails synthesis on an unacknowledged finding', async () => {
    const { app, stack } = synth(exampleConfig(), { nag: true, outdir: join(scratch, 'nag-violation') });
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    new Queue(stack, 'UnencryptedPlainQueue', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
