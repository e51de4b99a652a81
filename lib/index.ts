/**
 * kinesis-destination as a library: the {@link KinesisDestination} construct to add to your own CDK
 * app, the default app's stack, the cdk-nag packs with the pipeline's acknowledged findings, and the
 * config types and loader (a JSON config file is one way to fill the construct's props).
 *
 * The package is TypeScript source (ES modules): load it with tsx, ts-node's ESM loader, or any
 * TypeScript-aware toolchain. The functions are bundled at synth with the local esbuild.
 */
export { loadConfigFile } from '../adapters/config-file.js';
export {
  type CatalogSegment,
  type Destination,
  type DestinationConfig,
  parseConfig,
} from '../core/config.js';
export { ConfigError } from '../core/errors.js';
export { STACK_OUTPUT, type StackOutputName } from '../core/stack-outputs.js';
export { KinesisDestinationPropsError } from './errors.js';
export { KinesisDestination } from './kinesis-destination.js';
export {
  DEFAULT_ENTRIES,
  DEFAULT_PROFILE_TABLE_PROPS,
  type HandlerEntries,
  PIPELINE_KEY_PROPS,
  pipelineKeyStatements,
  STATE_TABLE_PROPS,
} from './kinesis-destination-defaults.js';
export type {
  CatalogSegmentInput,
  DestinationInput,
  KinesisDestinationProps,
} from './kinesis-destination-props.js';
export { KinesisDestinationStack, type KinesisDestinationStackProps } from './kinesis-destination-stack.js';
export { addNagPacks, NAG_REASONS } from './nag.js';
