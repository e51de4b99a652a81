import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { grantDestinationCredentials, type ResolvedDestination } from './destination-streams.js';
import { logGroupWithRole } from './function-logging.js';
import { PipelineFunction } from './pipeline-function.js';

export interface ConnectionCheckProps {
  /** The destinations whose streams the stack imports (created streams need no check). */
  readonly destinations: readonly ResolvedDestination[];
  /** Path of `lambdas/connection-check/handler.ts`. */
  readonly entry: string;
  readonly config: DestinationConfig;
  readonly logKey: kms.IKey;
}

/**
 * Deploy-time connection check: a custom resource (CDK Provider framework) that runs
 * `checkStreamConnection` — ListStreams, as the source page says the platform does, then the
 * stream's status — for every imported destination stream, and fails the deployment with a clear
 * message when one is missing or not ACTIVE.
 */
export class ConnectionCheck extends Construct {
  readonly handler: PipelineFunction;
  readonly resource: CustomResource;
  readonly provider: Provider;
  readonly providerRole: iam.Role;

  constructor(scope: Construct, id: string, props: ConnectionCheckProps) {
    super(scope, id);
    const imported = props.destinations.filter((r) => !r.created);

    this.handler = new PipelineFunction(this, 'Handler', {
      entry: props.entry,
      description: 'Deploy-time check that the destination streams exist and are writable',
      memorySize: 256,
      timeout: Duration.minutes(2),
      config: props.config,
      logKey: props.logKey,
    });
    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListStreams',
        actions: ['kinesis:ListStreams'],
        // ListStreams has no resource type in the Service Authorization Reference: "*" is required.
        resources: ['*'],
      }),
    );
    const direct = imported.filter((r) => r.access.kind === 'direct');
    if (direct.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DescribeDestinationStreams',
          actions: ['kinesis:DescribeStreamSummary'],
          resources: direct.map((r) => r.stream.streamArn),
        }),
      );
    }
    grantDestinationCredentials(role, imported);

    // Our own role instead of the framework's default, which carries AWSLambdaBasicExecutionRole.
    const { logGroup: providerLogs, role: providerRole } = logGroupWithRole(this, {
      logKey: props.logKey,
      description: 'CDK Provider framework of the connection check (kinesis-destination)',
      logGroupId: 'ProviderLogs',
      roleId: 'ProviderRole',
    });
    this.providerRole = providerRole;
    this.provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: providerLogs,
      frameworkOnEventRole: this.providerRole,
    });
    const provider = this.provider;
    keepFrameworkDescription(provider);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KinesisConnectionCheck',
      properties: {
        Destinations: imported.map(({ destination: d }) => ({
          destinationId: d.id,
          region: d.region,
          streamName: d.streamName,
          ...(d.accountId === undefined ? {} : { accountId: d.accountId }),
          ...(d.roleArn === undefined ? {} : { roleArn: d.roleArn }),
          ...(d.externalId === undefined ? {} : { externalId: d.externalId }),
          ...(d.credentialsSecretArn === undefined ? {} : { credentialsSecretArn: d.credentialsSecretArn }),
        })),
      },
    });
  }
}

/**
 * The Provider framework describes its function with the construct path
 * (`AWS CDK resource provider framework - onEvent (<path>)`). CDK leaves `Default` path components out
 * of logical ids, so the pipeline could become the `Default` construct of the default app's stack
 * without a change; the description is set the same way, leaving them out, so it does not change
 * either (test/infra/template-diff.test.ts).
 */
function keepFrameworkDescription(provider: Provider): void {
  const cfn = provider.node.tryFindChild('framework-onEvent')?.node.defaultChild;
  if (!(cfn instanceof lambda.CfnFunction)) {
    throw new Error(
      'the CDK Provider framework no longer has a framework-onEvent function: update connection-check.ts',
    );
  }
  const path = provider.node.path
    .split('/')
    .filter((part) => part !== 'Default')
    .join('/');
  cfn.description = `AWS CDK resource provider framework - onEvent (${path})`.slice(0, 256);
}
