/**
 * `dlq redrive` and `dlq list` as the CLI runs them (commander, argv, output captured) on an
 * in-memory SQS (test/helpers/fake-sqs.ts) and a mocked state table; and every command that reads a
 * config refusing the same misspelled field the same way.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerBackfillCommand } from '../../cli/backfill.js';
import { describeCliError } from '../../cli/cli-io.js';
import type { Prompter } from '../../cli/confirm.js';
import { registerDecideCommands } from '../../cli/decide/commands.js';
import { type DlqCommandDependencies, registerDlqCommands } from '../../cli/dlq/commands.js';
import type { StreamChecker } from '../../cli/dlq/stream-check.js';
import { registerEvaluateCommand } from '../../cli/evaluate.js';
import { registerPlanCommand } from '../../cli/plan.js';
import { registerPolicyCommand } from '../../cli/policy.js';
import { registerTailCommand } from '../../cli/tail.js';
import { registerValidateCommand } from '../../cli/validate.js';
import { deadLetterAttributes } from '../../core/dead-letter.js';
import { captureOutput } from '../helpers/cli-run.js';
import { exportMessage } from '../helpers/factories.js';
import { FakeQueue, installFakeSqs } from '../helpers/fake-sqs.js';

const sqsMock = mockClient(SQSClient);
const docMock = mockClient(DynamoDBDocumentClient);
const dynamoMock = mockClient(DynamoDBClient);

const ARN = (name: string) => `arn:aws:sqs:us-east-1:123456789012:${name}`;
let dlq: FakeQueue;
let exportQueue: FakeQueue;
let stdout: string[];
let stderr: string[];
let exportIds: string[];

const noTerminal: Prompter = { interactive: false, ask: () => Promise.reject(new Error('no terminal')) };
const streamsOk: StreamChecker = async (d) => ({
  streamName: d.streamName,
  ok: true,
  checks: [{ check: 'stream-active', status: 'passed', message: 'ACTIVE' }],
});
const streamMissing: StreamChecker = async (d) => ({
  streamName: d.streamName,
  ok: false,
  checks: [{ check: 'stream-exists', status: 'failed', message: `stream "${d.streamName}" is not listed` }],
});

function program(deps: DlqCommandDependencies = { prompter: noTerminal, streamChecker: streamsOk }): Command {
  const p = new Command().exitOverride();
  registerDlqCommands(p, deps);
  registerBackfillCommand(p);
  registerValidateCommand(p);
  registerPolicyCommand(p);
  registerEvaluateCommand(p);
  registerPlanCommand(p);
  registerTailCommand(p);
  registerDecideCommands(p);
  return p;
}

async function run(
  args: string[],
  deps?: DlqCommandDependencies,
): Promise<{ exitCode: number; message?: string }> {
  try {
    await program(deps).parseAsync(['node', 'cli', ...args]);
    return { exitCode: Number(process.exitCode ?? 0) };
  } catch (error) {
    return describeCliError(error);
  }
}

function deadLetter(profileId: string): void {
  const m = exportMessage({ profileId, destinationId: 'marketing', queuedAt: Date.now() });
  exportIds.push(m.message.exportId);
  dlq.put(
    m.body,
    m.groupId,
    deadLetterAttributes({
      errorCode: 'ResourceNotFoundException',
      errorMessage: 'x',
      attempts: 3,
      retryable: true,
      firstFailureAt: 1,
      lastFailureAt: 2,
      destinationId: 'marketing',
      exportId: m.message.exportId,
    }),
  );
}

beforeEach(() => {
  exportIds = [];
  process.exitCode = undefined;
  ({ stdout, stderr } = captureOutput());
  sqsMock.reset();
  docMock.reset();
  dynamoMock.reset();
  dlq = new FakeQueue('http://sqs/dlq.fifo', ARN('dlq.fifo'));
  exportQueue = new FakeQueue('http://sqs/export.fifo', ARN('export.fifo'), ARN('dlq.fifo'));
  installFakeSqs(sqsMock, [dlq, exportQueue]);
  // The state table knows the dead letters: each has its failure record, the table is older.
  docMock.on(BatchGetCommand).callsFake(() => ({
    Responses: { state: exportIds.map((id) => ({ pk: `failure#${id}`, exportId: id })) },
  }));
  dynamoMock.on(DescribeTableCommand).resolves({ Table: { CreationDateTime: new Date(1_000) } });
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('KD_CONFIG', 'examples/config.json');
  vi.stubEnv('DLQ_URL', dlq.url);
  vi.stubEnv('EXPORT_QUEUE_URL', exportQueue.url);
  vi.stubEnv('STATE_TABLE_NAME', 'state');
  vi.stubEnv('PROFILE_TABLE_NAME', 'profiles');
  vi.stubEnv('REJECTS_QUEUE_URL', 'http://sqs/rejects');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

describe('dlq redrive', () => {
  it('refuses without a terminal and without --yes, after echoing both ARNs, and moves nothing', async () => {
    deadLetter('p-1');

    const result = await run(['dlq', 'redrive']);

    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(/pass --yes to confirm without a terminal/);
    expect(stderr.join('')).toContain(`from dead-letter queue ${dlq.arn}`);
    expect(stderr.join('')).toContain(`into export queue      ${exportQueue.arn}`);
    expect(dlq.visible()).toHaveLength(1);
  });

  it('moves with --yes and says it completed only after the DLQ holds none of them', async () => {
    deadLetter('p-1');
    deadLetter('p-2');

    const result = await run(['dlq', 'redrive', '--yes']);

    expect(result.exitCode).toBe(0);
    expect(JSON.parse(stdout.join(''))).toMatchObject({ status: 'COMPLETED', moved: 2, toMove: 2 });
    expect(stderr.join('')).toContain(
      'redrive completed: 2 moved, none of them left in the dead-letter queue',
    );
    expect(exportQueue.messages).toHaveLength(2);
  });

  it('asks on a terminal and moves nothing when the answer is no', async () => {
    deadLetter('p-1');
    const asked: string[] = [];

    const result = await run(['dlq', 'redrive'], {
      streamChecker: streamsOk,
      prompter: {
        interactive: true,
        ask: async (q) => {
          asked.push(q);
          return 'n';
        },
      },
    });

    expect(result).toEqual({ exitCode: 2, message: 'not confirmed; Nothing was moved.' });
    expect(asked[0]).toBe(`move 1 dead letter(s) from ${dlq.arn} into ${exportQueue.arn}? [y/N] `);
    expect(dlq.visible()).toHaveLength(1);
  });

  it("refuses before anything moves when a destination's stream is missing, even with --yes", async () => {
    deadLetter('p-1');

    const result = await run(['dlq', 'redrive', '--yes'], {
      prompter: noTerminal,
      streamChecker: streamMissing,
    });

    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(
      /^refusing to redrive: destination "marketing": stream "profile-exports" is not listed/,
    );
    expect(dlq.visible()).toHaveLength(1);
    expect(exportQueue.messages).toHaveLength(0);
  });

  it('refuses into a state table newer than the dead letters that knows none of them', async () => {
    deadLetter('p-1');
    docMock.on(BatchGetCommand).resolves({ Responses: { state: [] } });
    dynamoMock
      .on(DescribeTableCommand)
      .resolves({ Table: { CreationDateTime: new Date(Date.now() + 60_000) } });

    const result = await run(['dlq', 'redrive', '--yes']);

    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(/state table "state" is not the delivery ledger of these exports/);
    expect(dlq.visible()).toHaveLength(1);
  });

  it('refuses a --rate outside 1–500 or not written as digits', async () => {
    expect((await run(['dlq', 'redrive', '--rate', '0x10'])).message).toBe(
      '--rate must be a whole number from 1 to 500, written with digits only (e.g. 1), got "0x10"',
    );
    expect((await run(['dlq', 'redrive', '--rate', '501'])).exitCode).toBe(2);
  });
});

describe('dlq list', () => {
  it('counts the messages in flight it could not list', async () => {
    deadLetter('p-1');
    deadLetter('p-2');
    deadLetter('p-3');
    dlq.holdByAnotherReader(2);

    const result = await run(['dlq', 'list', '--json']);

    expect(result.exitCode).toBe(0);
    expect(JSON.parse(stdout.join(''))).toHaveLength(1);
    expect(stderr.join('')).toContain(
      '1 dead-lettered export(s) listed, 2 more in flight (being received by another reader or in a redrive; not listed)',
    );
  });
});

describe('every command that reads a config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kd-config-'));
  const misspelled = join(dir, 'misspelled.json');
  const config = JSON.parse(readFileSync('examples/config.json', 'utf8'));
  config.destinations[0].includeSegmentName = true;
  writeFileSync(misspelled, JSON.stringify(config));
  const profile = join(dir, 'profile.json');
  writeFileSync(profile, JSON.stringify({ profileId: 'p-1', segmentMembership: { ups: {} } }));

  it.each([
    ['dlq', 'list'],
    ['dlq', 'redrive', '--dry-run'],
    ['backfill', '--destination', 'marketing'],
    ['validate'],
    ['policy', '--destination', 'marketing', '--account', '901341027596'],
    ['evaluate', '--new', profile],
    ['plan', '--rate', '100'],
    ['tail', '--destination', 'marketing', '--count', '1'],
    ['decide', 'replay', '--dry-run'],
  ])('refuses includeSegmentName with its path: %s', async (...args) => {
    const result = await run([...args, '--config', misspelled]);

    expect(result.exitCode).toBe(2);
    expect(result.message).toContain('destinations[0]: Unrecognized key: "includeSegmentName"');
    expect(dlq.messages).toHaveLength(0);
  });
});
