import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleConfig, synth, variantsConfig } from './synth.js';

/** The handlers the construct deploys (prebundled in dist/handlers) and the config layer, in process. */
const scratch = mkdtempSync(join(tmpdir(), 'kd-assets-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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
