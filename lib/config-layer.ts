import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { CONFIG_LAYER_FILE } from '../lambdas/commons/environment.js';

export interface ConfigLayerProps {
  /** The validated destinations and catalog the functions run with. */
  readonly config: DestinationConfig;
}

/**
 * The destination config as a Lambda layer: one small asset holding
 * `kinesis-destination/config.json`, which every pipeline function reads at cold start from
 * `/opt/kinesis-destination/config.json` (`loadFunctionConfig`). The handler code stays the same,
 * prebundled asset in every app; only this layer changes with the config. A layer has no size limit
 * short of Lambda's 250 MB for a function and its layers, where an environment variable has 4 KB and
 * a command line (an esbuild `define`) fails at about 140 KB.
 */
export class ConfigLayer extends lambda.LayerVersion {
  constructor(scope: Construct, id: string, props: ConfigLayerProps) {
    super(scope, id, {
      code: lambda.Code.fromAsset(configLayerDirectory(JSON.stringify(props.config))),
      description: 'kinesis-destination: the destination config the functions read',
    });
  }
}

/**
 * A directory holding `kinesis-destination/config.json` with `json`, under the system's temporary
 * directory and named after the content's hash: the same config writes the same directory once, so
 * repeated synths leave nothing new behind. CDK copies it into the cloud assembly.
 */
export function configLayerDirectory(json: string): string {
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 32);
  const parent = join(tmpdir(), 'kinesis-destination-config');
  const dir = join(parent, hash);
  const file = join(dir, CONFIG_LAYER_FILE.directory, CONFIG_LAYER_FILE.name);
  if (!existsSync(file)) {
    mkdirSync(join(dir, CONFIG_LAYER_FILE.directory), { recursive: true });
    // Written outside the directory and renamed into it: a concurrent synth never stages a
    // half-written file, nor the partial one.
    const partial = join(parent, `${hash}.${process.pid}.partial`);
    writeFileSync(partial, json);
    renameSync(partial, file);
  }
  return dir;
}
