/**
 * The commands as the CLI runs them: registered on a commander program, parsed from argv, output
 * captured. AWS clients are mocked; nothing leaves the process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerBackfillCommand } from '../../cli/backfill.js';
import { describeCliError } from '../../cli/cli-io.js';
import { resolveDeployment } from '../../cli/deployment.js';
import { registerDlqCommands } from '../../cli/dlq/commands.js';
import { registerPolicyCommand } from '../../cli/policy.js';
import { registerValidateCommand } from '../../cli/validate.js';
import { UsageError } from '../../core/errors.js';
import { captureOutput } from '../helpers/cli-run.js';

const sqs = mockClient(SQSClient);
const doc = mockClient(DynamoDBDocumentClient);
const cfn = mockClient(CloudFormationClient);

let stdout: string[];
let stderr: string[];

function program(): Command {
  const p = new Command().exitOverride();
  registerDlqCommands(p);
  registerBackfillCommand(p);
  registerValidateCommand(p);
  registerPolicyCommand(p);
  return p;
}

async function run(...args: string[]): Promise<{ exitCode: number; message?: string }> {
  try {
    await program().parseAsync(['node', 'cli', ...args]);
    return { exitCode: Number(process.exitCode ?? 0) };
  } catch (error) {
    return describeCliError(error);
  }
}

beforeEach(() => {
  process.exitCode = undefined;
  ({ stdout, stderr } = captureOutput());
  sqs.reset();
  doc.reset();
  cfn.reset();
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('KD_CONFIG', 'examples/config.json');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

describe('policy', () => {
  it('prints the policy JSON on stdout and the notes on stderr', async () => {
    const result = await run('policy', '--destination', 'marketing', '--account', '901341027596');

    expect(result.exitCode).toBe(0);
    const policy = JSON.parse(stdout.join(''));
    expect(policy.Statement[1].Resource).toBe(
      'arn:aws:kinesis:us-east-2:901341027596:stream/profile-exports',
    );
    expect(stderr.join('')).toContain('# kinesis:ListStreams is on "*"');
  });

  it('exits with 2 and the message for a config that does not validate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-ops-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ destinations: [], segmentCatalog: [] }));

    const result = await run('policy', '--destination', 'marketing', '--config', join(dir, 'bad.json'));

    expect(result.exitCode).toBe(2);
    expect(result.message).toContain('configure at least one destination');
  });

  it('exits with 2 for an unknown destination, listing the configured ones', async () => {
    const result = await run('policy', '--destination', 'nope', '--account', '901341027596');

    expect(result).toEqual({
      exitCode: 2,
      message: 'no destination "nope" in the config; configured: marketing, analytics',
    });
  });
});

describe('dlq list', () => {
  it('reads the queue from DLQ_URL and prints nothing personal', async () => {
    vi.stubEnv('DLQ_URL', 'http://sqs.local/q/dlq.fifo');
    vi.stubEnv('STATE_TABLE_NAME', 'state');
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    sqs.on(ReceiveMessageCommand).resolves({});
    doc.on(BatchGetCommand).resolves({});

    const result = await run('dlq', 'list', '--json');

    expect(result.exitCode).toBe(0);
    expect(JSON.parse(stdout.join(''))).toEqual([]);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.QueueUrl).toBe(
      'http://sqs.local/q/dlq.fifo',
    );
    expect(cfn.calls()).toHaveLength(0);
  });

  it('rejects a --limit that is not a positive number', async () => {
    const result = await run('dlq', 'list', '--limit', 'ten');

    expect(result).toEqual({
      exitCode: 2,
      message: '--limit must be a whole number ≥ 1, written with digits only (e.g. 1), got "ten"',
    });
  });
});

describe('resolveDeployment()', () => {
  it('reads every resource from the stack named by --stack, over a variable set', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'Prod' }).resolves({
      Stacks: [
        {
          StackName: 'Prod',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'DeadLetterQueueUrl', OutputValue: 'https://sqs/dlq.fifo' },
            { OutputKey: 'StateTableName', OutputValue: 'Prod-State' },
            { OutputKey: 'ExportQueueUrl', OutputValue: 'https://sqs/export.fifo' },
          ],
        },
      ],
    });

    const deployment = await resolveDeployment({
      need: ['dlqUrl', 'stateTableName', 'exportQueueUrl'],
      stack: 'Prod',
      env: { EXPORT_QUEUE_URL: 'https://sqs/staging-export.fifo' },
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
    });

    expect(deployment).toEqual({
      dlqUrl: 'https://sqs/dlq.fifo',
      stateTableName: 'Prod-State',
      exportQueueUrl: 'https://sqs/export.fifo',
    });
  });

  it('names the missing variables when the stack cannot be read', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id KinesisDestination does not exist'), {
        name: 'ValidationError',
      }),
    );

    const attempt = resolveDeployment({
      need: ['dlqUrl'],
      env: {},
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
    });

    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      /the outputs of stack "KinesisDestination" \(DeadLetterQueueUrl\) could not be read/,
    );
  });
});
