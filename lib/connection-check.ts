import { type CfnElement, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { grantDestinationCredentials, type ResolvedDestination } from './destination-streams.js';
import { logGroupWithRole } from './function-logging.js';
import { type FunctionNetwork, PipelineFunction } from './pipeline-function.js';
import { CUSTOM_RESOURCE_SERVICE_TIMEOUT } from './service-timeout.js';

export interface ConnectionCheckProps {
  /** Every destination: imported streams are checked, created streams' names are checked first. */
  readonly destinations: readonly ResolvedDestination[];
  /** The role the export function writes with: its effective permissions are simulated. */
  readonly exportRole: iam.IRole;
  /** The directory of the prebundled connection-check handler (`dist/handlers/connection-check/`). */
  readonly entry: string;
  /** The layer holding the destination config (lib/config-layer.ts). */
  readonly configLayer: lambda.ILayerVersion;
  readonly logKey: kms.IKey;
  /** The pipeline's name (the function's `KD_PIPELINE_NAME`). */
  readonly pipelineName: string;
  /** @default - none (see PipelineFunctionProps.configOverrides) */
  readonly configOverrides?: string;
  /**
   * The check role's fixed name: it assumes the destinations' cross-account roles, whose trust
   * policies name it.
   */
  readonly roleName: string;
  /**
   * The export function's network (network.staticEgressIps): the check runs from the same addresses,
   * so a stream policy that allowlists them lets it through too.
   * @default - not in a VPC
   */
  readonly network?: FunctionNetwork;
}

/**
 * The deploy-time checks, two custom resources on one CDK Provider framework function
 * (lambdas/connection-check/), each doing nothing on Delete and while the stack rolls back:
 *
 * - `resource` (`Custom::KinesisConnectionCheck`, when a stream is imported), after the export role
 *   and its policy exist: simulates the export role's permissions for every imported destination
 *   (`iam:SimulatePrincipalPolicy`: the source page's three Kinesis actions on the stream, its key,
 *   or the role or secret it obtains credentials from), then checks the stream — DescribeStreamSummary
 *   for a stream written with the export role, ListStreams and the status with the assumed role's or
 *   the access key's credentials otherwise — and fails the deployment naming each failed check and
 *   its fix;
 * - `streamNameCheck` (`Custom::KinesisStreamNameCheck`, when the stack creates a stream), before
 *   those streams: fails with what to do when a stream of that name exists and is not the stack's
 *   (one kept from an earlier, deleted stack).
 */
export class ConnectionCheck extends Construct {
  readonly handler: PipelineFunction;
  /** The connection check of the imported streams, if any. */
  readonly resource?: CustomResource;
  /** The name check of the created streams, if any; they depend on it. */
  readonly streamNameCheck?: CustomResource;
  readonly provider: Provider;
  readonly providerRole: iam.Role;

  constructor(scope: Construct, id: string, props: ConnectionCheckProps) {
    super(scope, id);
    const imported = props.destinations.filter((r) => !r.created);
    const created = props.destinations.filter((r) => r.created);
    const stack = Stack.of(this);

    this.handler = new PipelineFunction(this, 'Handler', {
      entry: props.entry,
      description: 'Deploy-time check that the destination streams exist and are writable',
      memorySize: 256,
      timeout: Duration.minutes(2),
      configLayer: props.configLayer,
      logKey: props.logKey,
      pipelineName: props.pipelineName,
      ...(props.configOverrides === undefined ? {} : { configOverrides: props.configOverrides }),
      roleName: props.roleName,
      ...(props.network === undefined ? {} : { network: props.network }),
    });
    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOwnStack',
        // The stack's status (a rollback is skipped) and whether a stream is the stack's own.
        actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResource'],
        resources: [stack.stackId],
      }),
    );
    if (imported.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'SimulateExportRole',
          actions: ['iam:SimulatePrincipalPolicy'],
          resources: [props.exportRole.roleArn],
        }),
      );
    }
    // Streams the export role writes itself, and the names of those the stack creates (built from
    // the name: a reference to the stream would make the check wait for the stream it checks for).
    const described = [
      ...imported.filter((r) => r.access.kind === 'direct').map((r) => r.stream.streamArn),
      ...created.map((r) => createdStreamArn(this, r)),
    ];
    if (described.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DescribeDestinationStreams',
          actions: ['kinesis:DescribeStreamSummary'],
          resources: described,
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

    if (imported.length > 0) {
      this.resource = new CustomResource(this, 'Resource', {
        serviceToken: provider.serviceToken,
        serviceTimeout: CUSTOM_RESOURCE_SERVICE_TIMEOUT,
        resourceType: 'Custom::KinesisConnectionCheck',
        properties: {
          ExportRoleArn: props.exportRole.roleArn,
          Destinations: imported.map(({ destination: d, stream }) => ({
            destinationId: d.id,
            region: d.region,
            streamName: d.streamName,
            streamArn: stream.streamArn,
            ...(d.accountId === undefined ? {} : { accountId: d.accountId }),
            ...(d.roleArn === undefined ? {} : { roleArn: d.roleArn }),
            ...(d.externalId === undefined ? {} : { externalId: d.externalId }),
            ...(d.credentialsSecretArn === undefined ? {} : { credentialsSecretArn: d.credentialsSecretArn }),
            ...(d.kmsKeyArn === undefined ? {} : { kmsKeyArn: d.kmsKeyArn }),
          })),
        },
      });
      // The simulation reads the export role's policy: it must be attached first.
      this.resource.node.addDependency(props.exportRole);
    }
    if (created.length > 0) {
      this.streamNameCheck = new CustomResource(this, 'StreamNames', {
        serviceToken: provider.serviceToken,
        serviceTimeout: CUSTOM_RESOURCE_SERVICE_TIMEOUT,
        resourceType: 'Custom::KinesisStreamNameCheck',
        properties: {
          Streams: created.map(({ destination: d, stream }) => ({
            destinationId: d.id,
            region: d.region,
            streamName: d.streamName,
            logicalId: stack.getLogicalId(stream.node.defaultChild as CfnElement),
          })),
        },
      });
      for (const r of created) r.stream.node.addDependency(this.streamNameCheck);
    }
  }
}

/** A created stream's ARN from its name (CloudFormation's rule holds it to the stack's region). */
function createdStreamArn(scope: Construct, r: ResolvedDestination): string {
  return Stack.of(scope).formatArn({
    service: 'kinesis',
    resource: 'stream',
    resourceName: r.destination.streamName,
  });
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
