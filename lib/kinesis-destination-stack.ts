import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { KinesisDestination } from './kinesis-destination.js';
import { tagPipeline } from './pipeline-tags.js';
import { propsFromConfig } from './props-from-config.js';

/** Props of {@link KinesisDestinationStack}. */
export interface KinesisDestinationStackProps extends StackProps {
  /** The validated destination config (`parseConfig`, `loadConfigFile`). */
  readonly config: DestinationConfig;
}

/**
 * The default app's stack (`npx cdk deploy -c config=…`): one {@link KinesisDestination} filled from
 * the config file with {@link propsFromConfig}, named after the stack (its `pipelineName`, so the
 * roles stay `<stack>-export-<region>`), writing the unprefixed outputs the CLI reads by default.
 *
 * The construct's id is `Default`, which CDK leaves out of logical ids: every resource keeps the
 * logical id it had when the pipeline was this stack itself, so deployed stacks update in place
 * (test/infra/template-diff.test.ts holds this).
 */
export class KinesisDestinationStack extends Stack {
  readonly pipeline: KinesisDestination;

  constructor(scope: Construct, id: string, props: KinesisDestinationStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.pipeline = new KinesisDestination(this, 'Default', {
      ...propsFromConfig(this, config),
      pipelineName: this.stackName,
      outputPrefix: '',
    });
    // The stack's own resources outside the construct (the AwsCustomResource singleton) too.
    tagPipeline(this, config.destinations, []);
  }
}
