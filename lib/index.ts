/**
 * kinesis-destination as a library: the {@link KinesisDestination} construct to add to your own CDK
 * app (any number of times), its typed destination targets, the default app's stack, the cdk-nag
 * packs with the pipeline's acknowledged findings, and the config types, loader and translation (a
 * JSON config file is one way to fill the construct's props: {@link propsFromConfig}).
 *
 * The package entry point. `npm run build` compiles it, with what it imports, to JavaScript with
 * declarations: ES modules in `dist/esm/` (for `import`) and CommonJS in `dist/cjs/` (for `require`),
 * chosen by package.json's `exports`; no TypeScript loader is needed. The functions' handlers are
 * prebundled at the same build (`dist/handlers/`) and deployed as they are, so synth bundles nothing.
 */
export { loadConfigFile } from '../adapters/config-file.js';
export {
  type CatalogSegment,
  type Destination,
  type DestinationConfig,
  parseConfig,
} from '../core/config.js';
export { ConfigError } from '../core/errors.js';
export { METRIC, type MetricName } from '../core/metric-names.js';
export { STACK_OUTPUT, type StackOutputName } from '../core/stack-outputs.js';
export {
  type AccessKeyOptions,
  CreatedStreamMode,
  type CreatedStreamOptions,
  type CrossAccountStreamOptions,
  DestinationTarget,
  type DestinationTargetKind,
  type ExistingStreamOptions,
} from './destination-target.js';
export { KinesisDestinationPropsError } from './errors.js';
export { KinesisDestination } from './kinesis-destination.js';
export {
  DEFAULT_PROFILE_TABLE_PROPS,
  PIPELINE_KEY_PROPS,
  pipelineKeyStatements,
  STATE_TABLE_PROPS,
} from './kinesis-destination-defaults.js';
export type {
  CatalogSegmentProps,
  DestinationProps,
  KinesisDestinationProps,
  MappedSegmentProps,
} from './kinesis-destination-props.js';
export { KinesisDestinationStack, type KinesisDestinationStackProps } from './kinesis-destination-stack.js';
export { addNagPacks, NAG_REASONS } from './nag.js';
export { propsFromConfig } from './props-from-config.js';
