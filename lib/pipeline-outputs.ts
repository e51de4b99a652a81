import { CfnOutput, Fn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { pipelineOutputKey, STACK_OUTPUTS, type StackOutputKey } from '../core/stack-outputs.js';
import type { EgressNetwork } from './egress-network.js';

/** What a pipeline's outputs read from. */
export interface PipelineOutputValues {
  readonly pipelineName: string;
  readonly profileTableName: string;
  readonly stateTableName: string;
  readonly exportQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly rejectsQueueUrl: string;
  readonly decideFailuresQueueUrl: string;
  readonly exportRoleArn: string;
  readonly connectionCheckRoleArn: string;
  readonly pipelineKeyArn: string;
  readonly alertTopicArn: string;
  readonly dashboardName: string;
  readonly egressNetwork?: EgressNetwork;
}

/**
 * The pipeline's stack outputs (core/stack-outputs.ts: names and descriptions there; the CLI reads
 * them with `--stack`, and `--pipeline` among several): `<prefix><name>`, each with that exact key
 * (the logical id CDK would give an output of a nested construct carries a hash), created under
 * `scope` so that they move with it. `StaticEgressIps` only when the construct created the addresses.
 */
export function addPipelineOutputs(scope: Construct, prefix: string, values: PipelineOutputValues): void {
  const out = (key: StackOutputKey, value: string) => {
    const output = new CfnOutput(scope, STACK_OUTPUTS[key].name, {
      value,
      description:
        prefix === ''
          ? STACK_OUTPUTS[key].description
          : `${values.pipelineName}: ${STACK_OUTPUTS[key].description}`,
    });
    output.overrideLogicalId(pipelineOutputKey(prefix, key));
  };
  out('profileTableName', values.profileTableName);
  out('stateTableName', values.stateTableName);
  out('exportQueueUrl', values.exportQueueUrl);
  out('deadLetterQueueUrl', values.deadLetterQueueUrl);
  out('rejectsQueueUrl', values.rejectsQueueUrl);
  out('decideFailuresQueueUrl', values.decideFailuresQueueUrl);
  out('exportRoleArn', values.exportRoleArn);
  out('connectionCheckRoleArn', values.connectionCheckRoleArn);
  out('pipelineKeyArn', values.pipelineKeyArn);
  out('alertTopicArn', values.alertTopicArn);
  out('dashboardName', values.dashboardName);
  out('pipelineName', values.pipelineName);
  const egress = values.egressNetwork;
  if (egress !== undefined) {
    if (egress.elasticIps.length > 0) {
      out(
        'staticEgressIps',
        Fn.join(
          ',',
          egress.elasticIps.map((ip) => ip.attrPublicIp),
        ),
      );
    }
    if (egress.kinesisEndpoint !== undefined)
      out('kinesisVpcEndpointId', egress.kinesisEndpoint.vpcEndpointId);
  }
}
