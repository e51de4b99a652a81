import { CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { STACK_OUTPUTS, type StackOutputKey } from '../core/stack-outputs.js';
import { KinesisDestination } from './kinesis-destination.js';
import type { HandlerEntries } from './kinesis-destination-defaults.js';
import type { KinesisDestinationProps } from './kinesis-destination-props.js';
import { tagPipeline } from './pipeline-tags.js';

/** Props of {@link KinesisDestinationStack}. */
export interface KinesisDestinationStackProps extends StackProps {
  /** The validated destination config (`parseConfig`, `loadConfigFile`). */
  readonly config: DestinationConfig;
  /** @default - DEFAULT_ENTRIES, the package's prebundled handlers (dist/handlers/) */
  readonly entries?: Partial<HandlerEntries>;
}

/**
 * The default app's stack (`npx cdk deploy -c config=…`): one {@link KinesisDestination} filled from
 * the config file, and the outputs the CLI reads.
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
      destinations: config.destinations,
      segmentCatalog: config.segmentCatalog,
      ...(config.alerts === undefined ? {} : { alertEmails: config.alerts.emails }),
      ...(config.throughput === undefined ? {} : { throughput: config.throughput }),
      ...this.profileTableProps(config),
      ...(config.dataRemovalPolicy === 'destroy' ? { dataRemovalPolicy: RemovalPolicy.DESTROY } : {}),
      ...(config.network === undefined ? {} : { network: config.network }),
      ...(props.entries === undefined ? {} : { entries: props.entries }),
    });
    // The stack's own resources outside the construct (the AwsCustomResource singleton) too.
    tagPipeline(this, config.destinations, []);
    this.outputs();
  }

  /**
   * The config's `profileTable`: import the table by name and stream ARN (with its customer-managed
   * key, if any), or name the new one.
   */
  private profileTableProps(
    config: DestinationConfig,
  ): Pick<KinesisDestinationProps, 'existingProfileTable' | 'profileTableProps'> {
    const settings = config.profileTable;
    if (settings?.streamArn !== undefined && settings.tableName !== undefined) {
      return {
        existingProfileTable: dynamodb.Table.fromTableAttributes(this, 'ProfileTable', {
          tableName: settings.tableName,
          tableStreamArn: settings.streamArn,
          ...(settings.kmsKeyArn === undefined
            ? {}
            : { encryptionKey: kms.Key.fromKeyArn(this, 'ProfileTableKey', settings.kmsKeyArn) }),
        }),
      };
    }
    return settings?.tableName === undefined ? {} : { profileTableProps: { tableName: settings.tableName } };
  }

  /** The outputs of core/stack-outputs.ts (names and descriptions there; the CLI reads them). */
  private outputs(): void {
    const p = this.pipeline;
    const out = (key: StackOutputKey, value: string) =>
      new CfnOutput(this, STACK_OUTPUTS[key].name, { value, description: STACK_OUTPUTS[key].description });
    out('profileTableName', p.profileTable.tableName);
    out('stateTableName', p.stateTable.tableName);
    out('exportQueueUrl', p.exportQueue.queueUrl);
    out('deadLetterQueueUrl', p.deadLetterQueue.queueUrl);
    out('rejectsQueueUrl', p.rejectsQueue.queueUrl);
    out('exportRoleArn', p.exportRole.roleArn);
    out('connectionCheckRoleArn', p.connectionCheckRole.roleArn);
    out('pipelineKeyArn', p.encryptionKey.keyArn);
    out('alertTopicArn', p.alarmTopic.topicArn);
    out('dashboardName', p.dashboard.dashboardName);
    const egress = p.egressNetwork;
    if (egress !== undefined) {
      out(
        'staticEgressIps',
        Fn.join(
          ',',
          egress.elasticIps.map((ip) => ip.attrPublicIp),
        ),
      );
      if (egress.kinesisEndpoint !== undefined) {
        out('kinesisVpcEndpointId', egress.kinesisEndpoint.vpcEndpointId);
      }
    }
  }
}
