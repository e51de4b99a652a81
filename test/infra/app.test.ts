import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { configWith, exampleConfig, synth, variantsConfig } from './synth.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kd-infra-'));

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

/** The asset directory of the cloud assembly in `outdir` that a resource's S3Key names. */
function assetDirOf(outdir: string, s3Key: unknown): string {
  return join(outdir, `asset.${String(s3Key).replace(/\.zip$/, '')}`);
}

describe('prebundled handlers and the config layer', () => {
  it('deploys the prebundled handlers as they are, and the config only in the layer', () => {
    const outdir = join(scratch, 'assets');
    const { app, template } = synth(exampleConfig(), { outdir });
    app.synth();
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Handler === 'index.handler' && fn.Properties.Layers !== undefined,
    );
    const [layer] = Object.values(template.findResources('AWS::Lambda::LayerVersion'));

    // decide, export, backfill and the connection check; each its own bundle, each with the one layer.
    expect(functions).toHaveLength(4);
    const code = functions.map((fn) =>
      readFileSync(join(assetDirOf(outdir, fn.Properties.Code.S3Key), 'index.mjs'), 'utf8'),
    );
    expect(new Set(functions.map((fn) => fn.Properties.Code.S3Key)).size).toBe(4);
    for (const c of code) expect(c).not.toContain('profile-analytics');
    expect(code.some((c) => c.includes('ConnectionCheckError'))).toBe(true);
    const layerFiles = readdirSync(assetDirOf(outdir, layer?.Properties.Content.S3Key), { recursive: true });
    expect(layerFiles.sort()).toEqual(['kinesis-destination', 'kinesis-destination/config.json']);
    const configFile = join(
      assetDirOf(outdir, layer?.Properties.Content.S3Key),
      'kinesis-destination/config.json',
    );
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toEqual(exampleConfig());
  });

  it('gives the handlers the same asset in every app, whatever its config', () => {
    const codeKeys = (template: ReturnType<typeof synth>['template']) =>
      Object.values(template.findResources('AWS::Lambda::Function'))
        .filter((fn) => fn.Properties.Layers !== undefined)
        .map((fn) => fn.Properties.Code.S3Key)
        .sort();
    const layerKey = (template: ReturnType<typeof synth>['template']) =>
      Object.values(template.findResources('AWS::Lambda::LayerVersion'))[0]?.Properties.Content.S3Key;

    const one = synth(exampleConfig()).template;
    const other = synth(variantsConfig()).template;

    expect(codeKeys(one)).toEqual(codeKeys(other));
    expect(layerKey(one)).not.toEqual(layerKey(other));
  });
});

describe('bin/app.ts', () => {
  it("fails with parseConfig's message on an invalid config", () => {
    const bad = join(scratch, 'bad-config.json');
    const raw = structuredClone(exampleConfig()) as unknown as { destinations: Record<string, unknown>[] };
    (raw.destinations[0] as Record<string, unknown>).streamName = 'not a stream name!';
    writeFileSync(bad, JSON.stringify(raw));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: bad }),
        CDK_OUTDIR: join(scratch, 'bad'),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('destinations[0].streamName');
    expect(result.stderr).toContain('is not a Kinesis stream name');
  });
});
