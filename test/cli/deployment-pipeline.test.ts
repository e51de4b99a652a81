import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveDeployment } from '../../cli/deployment.js';
import { UsageError } from '../../core/errors.js';

const cfn = mockClient(CloudFormationClient);
const client = new CloudFormationClient({ region: 'us-east-1' });

/** A stack holding two construct-based pipelines, as the KinesisDestination construct writes their outputs. */
beforeEach(() => {
  cfn.reset();
  cfn.on(DescribeStacksCommand, { StackName: 'Team' }).resolves({
    Stacks: [
      {
        StackName: 'Team',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [
          { OutputKey: 'StagingPipelineName', OutputValue: 'staging' },
          { OutputKey: 'StagingDeadLetterQueueUrl', OutputValue: 'https://sqs/staging-dlq.fifo' },
          { OutputKey: 'ProdPipelineName', OutputValue: 'prod' },
          { OutputKey: 'ProdDeadLetterQueueUrl', OutputValue: 'https://sqs/prod-dlq.fifo' },
          { OutputKey: 'ProdDecideFailuresQueueUrl', OutputValue: 'https://sqs/prod-decide-failures' },
        ],
      },
    ],
  });
});

describe('resolveDeployment() with a construct-based stack', () => {
  it('reads the outputs of the pipeline --pipeline names', async () => {
    const deployment = await resolveDeployment({
      need: ['dlqUrl'],
      stack: 'Team',
      pipeline: 'prod',
      env: {},
      cloudFormation: client,
    });

    expect(deployment).toEqual({ dlqUrl: 'https://sqs/prod-dlq.fifo' });
  });

  it("reads the decide-failures queue `decide replay` needs from the pipeline's output", async () => {
    const deployment = await resolveDeployment({
      need: ['decideFailuresQueueUrl'],
      stack: 'Team',
      pipeline: 'prod',
      env: { DECIDE_FAILURES_QUEUE_URL: 'https://sqs/staging-decide-failures' },
      cloudFormation: client,
    });

    expect(deployment).toEqual({ decideFailuresQueueUrl: 'https://sqs/prod-decide-failures' });
  });

  it('refuses to guess between two pipelines without --pipeline', async () => {
    const attempt = resolveDeployment({ need: ['dlqUrl'], stack: 'Team', env: {}, cloudFormation: client });

    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      'stack "Team" holds 2 pipelines (staging, prod): pass --pipeline <name> to choose one',
    );
  });
});
