import { createHash } from 'node:crypto';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { Destination } from '../core/config.js';
import type { BackfillEvent } from '../lambdas/backfill/invocation.js';
import { logGroupWithRole } from './function-logging.js';

export interface BackfillTriggerProps {
  readonly destinations: readonly Destination[];
  readonly backfillFunction: lambda.IFunction;
  readonly logKey: kms.IKey;
}

/**
 * Starts the historical backfill on deploy (the source page: profiles that qualified for a segment
 * before it was mapped are exported within about an hour).
 *
 * One custom resource per (destination, mapped segment) pair, so CloudFormation itself computes
 * which pairs are new: a deploy that maps a new segment creates exactly one new resource, whose
 * create invokes the backfill function asynchronously for that pair only; unchanged pairs do
 * nothing, removed pairs are deleted without a call. Re-mapping a segment (a new
 * `mappingCreatedAt`) updates its resource and starts a new run. The price is one table scan per
 * newly mapped segment, rather than one per deploy.
 */
export class BackfillTrigger extends Construct {
  readonly role: iam.Role;
  readonly runs: readonly BackfillEvent[];

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

    const runs: BackfillEvent[] = [];
    for (const d of props.destinations) {
      for (const segment of d.segments) {
        const event: BackfillEvent = {
          destinationId: d.id,
          segmentIds: [segment.id],
          runId: backfillRunId(d.id, segment.id, segment.mappingCreatedAt),
        };
        runs.push(event);
        const call = {
          service: 'Lambda',
          action: 'Invoke',
          parameters: {
            FunctionName: props.backfillFunction.functionName,
            InvocationType: 'Event',
            Payload: JSON.stringify(event),
          },
          physicalResourceId: PhysicalResourceId.of(event.runId),
        };
        new AwsCustomResource(this, `Run-${d.id}-${segment.id}`, {
          resourceType: 'Custom::KinesisDestinationBackfill',
          onCreate: call,
          onUpdate: call,
          role: this.role,
          logGroup,
          installLatestAwsSdk: false,
        });
      }
    }
    this.runs = runs;
  }
}

/** A stable id for the backfill of one mapping: the same mapping never starts two different runs. */
export function backfillRunId(destinationId: string, segmentId: string, mappingCreatedAt: number): string {
  const digest = createHash('sha256')
    .update(`${destinationId}\u0000${segmentId}\u0000${mappingCreatedAt}`)
    .digest('hex')
    .slice(0, 16);
  return `deploy-${digest}`;
}
