import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { Destination } from '../core/config.js';
import { deployBackfillEvent } from '../lambdas/backfill/deploy-backfill.js';
import type { DeployBackfillEvent } from '../lambdas/backfill/invocation.js';
import { logGroupWithRole } from './function-logging.js';
import { CUSTOM_RESOURCE_SERVICE_TIMEOUT } from './service-timeout.js';

export interface BackfillTriggerProps {
  readonly destinations: readonly Destination[];
  readonly backfillFunction: lambda.IFunction;
  readonly logKey: kms.IKey;
}

/**
 * Starts the historical backfill on deploy (the source page: profiles that qualified for a segment
 * before it was mapped are exported within about an hour).
 *
 * One custom resource carries every (destination, mapped segment) pair with its run id (a digest of
 * the destination, the segment and `mappingCreatedAt`). CloudFormation creates it on the first deploy
 * and updates it whenever the set of pairs changes; each time it invokes the backfill function
 * asynchronously with all the pairs, and the function scans the table ONCE for the pairs whose
 * backfill is not recorded as completed — a deploy that maps fifty segments starts one scan, not
 * fifty. Re-mapping a segment (a new `mappingCreatedAt`) gives its pair a new run id, so it is
 * backfilled again; a deploy that changes no mapping does nothing.
 */
export class BackfillTrigger extends Construct {
  readonly role: iam.Role;
  /** The event the deploy sends. */
  readonly run: DeployBackfillEvent;

  constructor(scope: Construct, id: string, props: BackfillTriggerProps) {
    super(scope, id);
    const { logGroup, role } = logGroupWithRole(this, {
      logKey: props.logKey,
      description: 'Starts the historical backfill on deploy (kinesis-destination)',
    });
    this.role = role;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartBackfill',
        actions: ['lambda:InvokeFunction'],
        resources: [props.backfillFunction.functionArn],
      }),
    );

    this.run = deployBackfillEvent(props.destinations);
    const call = {
      service: 'Lambda',
      action: 'Invoke',
      parameters: {
        FunctionName: props.backfillFunction.functionName,
        InvocationType: 'Event',
        Payload: JSON.stringify(this.run),
      },
      physicalResourceId: PhysicalResourceId.of(this.run.runId),
    };
    new AwsCustomResource(this, 'Run', {
      resourceType: 'Custom::KinesisDestinationBackfill',
      serviceTimeout: CUSTOM_RESOURCE_SERVICE_TIMEOUT,
      onCreate: call,
      onUpdate: call,
      role: this.role,
      logGroup,
      installLatestAwsSdk: false,
    });
  }
}

export { backfillRunId, deployRunId } from '../lambdas/backfill/deploy-backfill.js';
