import { describe, expect, it } from 'vitest';
import { deploymentSourceOf, describeDeploymentSource } from '../../cli/deployment.js';
import { UsageError } from '../../core/errors.js';

const ALL = {
  PROFILE_TABLE_NAME: 'profiles',
  STATE_TABLE_NAME: 'state',
  EXPORT_QUEUE_URL: 'https://sqs/prod-export.fifo',
  DLQ_URL: 'https://sqs/prod-dlq.fifo',
  REJECTS_QUEUE_URL: 'https://sqs/prod-rejects',
};

describe('deploymentSourceOf()', () => {
  it('takes every resource from an explicit --stack, over the variables set, and lists them', () => {
    const source = deploymentSourceOf({
      need: ['dlqUrl', 'exportQueueUrl'],
      stack: 'KinesisDestination-prod',
      env: { DLQ_URL: 'https://sqs/staging-dlq.fifo' },
    });

    expect(source).toEqual({
      kind: 'stack',
      stack: 'KinesisDestination-prod',
      ignoredVariables: ['DLQ_URL'],
    });
    expect(describeDeploymentSource(source)).toBe(
      'resources from the outputs of stack "KinesisDestination-prod"; DLQ_URL set in the environment but not used (--stack wins)',
    );
  });

  it('refuses --pipeline without --stack: the variables name no pipeline, so it would be ignored', () => {
    expect(() => deploymentSourceOf({ need: ['dlqUrl'], pipeline: 'prod', env: ALL })).toThrow(
      new UsageError(
        "--pipeline prod chooses one pipeline among a stack's outputs; pass --stack NAME too (the stack that holds it)",
      ),
    );
  });

  it('takes the environment when it holds every needed variable', () => {
    expect(deploymentSourceOf({ need: ['dlqUrl', 'exportQueueUrl'], env: ALL })).toEqual({
      kind: 'environment',
    });
  });

  it('takes the default stack when no deployment variable is set', () => {
    expect(deploymentSourceOf({ need: ['dlqUrl'], env: { AWS_REGION: 'us-east-1', DLQ_URL: '' } })).toEqual({
      kind: 'stack',
      stack: 'KinesisDestination',
      ignoredVariables: [],
    });
  });

  it('refuses a mix, naming what would come from where and both fixes', () => {
    const attempt = () =>
      deploymentSourceOf({
        need: ['dlqUrl', 'exportQueueUrl'],
        env: { DLQ_URL: 'https://sqs/staging-dlq.fifo' },
      });

    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(
      'the deployment would come from two places: DLQ_URL from the environment, EXPORT_QUEUE_URL (output ExportQueueUrl) from stack "KinesisDestination"',
    );
    expect(attempt).toThrow(/Either unset DLQ_URL and pass --stack NAME .* or set EXPORT_QUEUE_URL too/);
  });

  it('refuses a mix even when the variable set is not one the command needs', () => {
    expect(() =>
      deploymentSourceOf({ need: ['exportQueueUrl'], env: { STATE_TABLE_NAME: 'staging-state' } }),
    ).toThrow(/STATE_TABLE_NAME from the environment, EXPORT_QUEUE_URL/);
  });
});
