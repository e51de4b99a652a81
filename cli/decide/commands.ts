/** `decide replay`: replay a shard range the decide mapping gave up on (see `replay.ts`). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { configPathFrom } from '../../adapters/config-file.js';
import { readTextFile } from '../../adapters/json-file.js';
import { DECIDE_FAILURES_QUEUE_VARIABLE } from '../../core/environment-variables.js';
import { UsageError } from '../../core/errors.js';
import { confirmOrRefuse, type Prompter, terminalPrompter } from '../confirm.js';
import {
  type DeploymentCommandOptions,
  deploymentTarget,
  describeDeploymentSource,
  loadCommandConfig,
  resolveDeploymentFrom,
  withDeploymentOptions,
} from '../deployment.js';
import { type DecideInvoker, loadDecideFunction } from './decide-function.js';
import { replayDecideFailures } from './replay.js';

interface ReplayFlags extends DeploymentCommandOptions {
  readonly failuresQueueUrl?: string;
  readonly messageId?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
}

/** What `decide replay` takes from outside; tests pass their own. */
export interface DecideCommandDependencies {
  /** @default terminalPrompter */
  readonly prompter?: Prompter;
  /** @default the decide function, loaded in this process (decide-function.ts) */
  readonly loadDecide?: (input: {
    configJson: string;
    exportQueueUrl: string;
    rejectsQueueUrl: string;
  }) => Promise<DecideInvoker>;
}

/** Registers `decide replay` on the CLI. */
export function registerDecideCommands(program: Command, deps: DecideCommandDependencies = {}): void {
  const decide = program
    .command('decide')
    .description('the decide stage: replay what its mapping gave up on');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  withDeploymentOptions(
    decide
      .command('replay')
      .description(
        "read again, from the table's stream, each shard range in the decide-failures queue and run it through the decide function; a range's message is deleted once all of it is queued",
      )
      .option(
        '--failures-queue-url <url>',
        `the decide mapping's on-failure queue (default: the deployment's — $${DECIDE_FAILURES_QUEUE_VARIABLE}, else the stack output DecideFailuresQueueUrl)`,
      )
      .option('--message-id <id>', 'only this failure message')
      .option('--dry-run', 'read the ranges and say what would be replayed; queue nothing')
      .option('--yes', 'do not ask for confirmation (scripts; required without a terminal)'),
  ).action(async (flags: ReplayFlags) => {
    const configPath = configPathFrom(flags.config);
    // Validated as every command validates it; the function then reads the same text.
    loadCommandConfig(configPath);
    const configJson = readTextFile(configPath, 'config');
    if (flags.failuresQueueUrl !== undefined && flags.failuresQueueUrl.length === 0) {
      throw new UsageError(
        "--failures-queue-url is empty: pass the queue URL, or leave the flag out to use the deployment's (the stack output DecideFailuresQueueUrl)",
      );
    }
    const { deployment, source } = await resolveDeploymentFrom({
      need: [
        'profileTableName',
        'exportQueueUrl',
        'rejectsQueueUrl',
        ...(flags.failuresQueueUrl === undefined ? (['decideFailuresQueueUrl'] as const) : []),
      ],
      ...deploymentTarget(flags),
    });
    say(describeDeploymentSource(source));
    const failuresQueueUrl = flags.failuresQueueUrl ?? deployment.decideFailuresQueueUrl;
    const outcomes = await replayDecideFailures({
      sqs: new SQSClient({}),
      streams: new DynamoDBStreamsClient({}),
      dynamo: new DynamoDBClient({}),
      failuresQueueUrl,
      profileTableName: deployment.profileTableName,
      loadDecide: () =>
        (deps.loadDecide ?? loadDecideFunction)({
          configJson,
          exportQueueUrl: deployment.exportQueueUrl,
          rejectsQueueUrl: deployment.rejectsQueueUrl,
        }),
      ...(flags.messageId === undefined ? {} : { messageId: flags.messageId }),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
      confirm: async (planned) => {
        for (const p of planned)
          say(`range ${p.shardId} ${p.startSequenceNumber}–${p.endSequenceNumber}: ${p.detail}`);
        await confirmOrRefuse({
          yes: flags.yes === true,
          prompter: deps.prompter ?? terminalPrompter,
          question: `replay ${planned.length} range(s) into export queue ${deployment.exportQueueUrl}?`,
          nothingDone: 'Nothing was replayed.',
        });
      },
    });
    for (const o of outcomes) process.stdout.write(`${JSON.stringify(o)}\n`);
    if (outcomes.length === 0) {
      say(
        flags.messageId === undefined
          ? 'the decide-failures queue holds no failure to replay'
          : `no failure message ${flags.messageId} in the decide-failures queue (it may be in flight: another replay)`,
      );
      if (flags.messageId !== undefined) process.exitCode = 1;
      return;
    }
    const bad = outcomes.filter(
      (o) => o.status === 'lost' || o.status === 'failed' || o.status === 'refused',
    );
    for (const o of bad) say(`${o.messageId}: ${o.status}: ${o.detail}`);
    if (bad.length > 0) process.exitCode = 1;
    else if (flags.dryRun !== true)
      say(`replayed ${outcomes.length} range(s); their exports are in the export queue`);
  });
}
