/**
 * `dlq list` and `dlq redrive`: inspect and replay the exports the export function gave up on.
 *
 * Messages in the dead-letter queue are export message envelopes (core/export-message.ts). The
 * export function attaches the failure to a message it moves (message attributes,
 * core/dead-letter.ts); for one the queue's redrive policy moved, it lives in the state table under
 * its failure record (core/state-records.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { stringifyExact } from '../../core/json-text.js';
import { confirmOrRefuse, type Prompter, terminalPrompter } from '../confirm.js';
import {
  type DeploymentCommandOptions,
  deploymentTarget,
  describeDeploymentSource,
  loadCommandConfig,
  parsePositiveInt,
  resolveDeploymentFrom,
  selectDestinations,
  withDeploymentOptions,
} from '../deployment.js';
import { listDeadLetters, listingSummary } from './listing.js';
import { MAX_REDRIVE_RATE, redriveDeadLetters } from './redrive.js';
import { describePlan, redriveChecks } from './redrive-checks.js';
import type { StreamChecker } from './stream-check.js';
import { formatDeadLetterTable } from './table.js';

interface ListFlags extends DeploymentCommandOptions {
  readonly destination?: string;
  readonly limit?: string;
  readonly json?: boolean;
  readonly showPayload?: boolean;
}

interface RedriveFlags extends DeploymentCommandOptions {
  readonly destination?: string;
  readonly dryRun?: boolean;
  readonly rate?: string;
  readonly yes?: boolean;
  readonly includeNonRetryable?: boolean;
}

/** What the `dlq` commands take from outside; tests pass their own. */
export interface DlqCommandDependencies {
  /** @default terminalPrompter */
  readonly prompter?: Prompter;
  /** @default exporterStreamChecker */
  readonly streamChecker?: StreamChecker;
}

/**
 * The config, validated as every command validates it (an unknown id is a typo, not an empty
 * result), and the destination flag checked against it.
 */
function loadConfigFor(flags: { config?: string; destination?: string }) {
  const config = loadCommandConfig(flags.config);
  selectDestinations(config, flags.destination);
  return config;
}

/** Registers `dlq list` and `dlq redrive` on the CLI. */
export function registerDlqCommands(program: Command, deps: DlqCommandDependencies = {}): void {
  const dlq = program.command('dlq').description("inspect and redrive the export queue's dead-letter queue");
  const say = (line: string) => process.stderr.write(`${line}\n`);

  withDeploymentOptions(
    dlq
      .command('list')
      .description('one row per dead-lettered export with its last error (messages are not consumed)')
      .option('--destination <id>', 'only this destination')
      .option('--limit <n>', 'at most this many rows', '100')
      .option('--json', 'JSON array instead of a table')
      .option('--show-payload', 'include each export document (attribute values and identities)'),
  ).action(async (flags: ListFlags) => {
    loadConfigFor(flags);
    const limit = parsePositiveInt(flags.limit ?? '100', '--limit');
    const { deployment } = await resolveDeploymentFrom({
      need: ['dlqUrl', 'stateTableName'],
      ...deploymentTarget(flags),
    });
    say('reading the dead-letter queue (messages stay in it)…');
    const listing = await listDeadLetters({
      sqs: new SQSClient({}),
      dynamo: new DynamoDBClient({}),
      dlqUrl: deployment.dlqUrl,
      stateTableName: deployment.stateTableName,
      limit,
      showPayload: flags.showPayload === true,
      ...(flags.destination === undefined ? {} : { destinationId: flags.destination }),
    });
    if (flags.json === true) process.stdout.write(`${stringifyExact(listing.rows, 2)}\n`);
    else if (listing.rows.length > 0) process.stdout.write(formatDeadLetterTable(listing.rows));
    say(listingSummary(listing, flags.destination, limit));
  });

  withDeploymentOptions(
    dlq
      .command('redrive')
      .description(
        'move dead-lettered exports back to the export queue, after checking the queues, the ledger and the streams, and wait until they left the DLQ',
      )
      .option('--destination <id>', "only this destination's exports (moved by the CLI itself)")
      .option('--dry-run', 'run the checks and count what would be moved; move nothing')
      .option('--rate <n>', `messages per second (1–${MAX_REDRIVE_RATE})`)
      .option('--yes', 'do not ask for confirmation (scripts; required without a terminal)')
      .option(
        '--include-non-retryable',
        'move dead letters marked Retryable=false too (they are dead-lettered again at once)',
      ),
  ).action(async (flags: RedriveFlags) => {
    const config = loadConfigFor(flags);
    const rate =
      flags.rate === undefined ? undefined : parsePositiveInt(flags.rate, '--rate', MAX_REDRIVE_RATE);
    const { deployment, source } = await resolveDeploymentFrom({
      need: ['dlqUrl', 'exportQueueUrl', 'stateTableName'],
      ...deploymentTarget(flags),
    });
    say(describeDeploymentSource(source));
    let progressShown = false;
    const result = await redriveDeadLetters({
      sqs: new SQSClient({}),
      dlqUrl: deployment.dlqUrl,
      exportQueueUrl: deployment.exportQueueUrl,
      ...(rate === undefined ? {} : { rate }),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
      ...(flags.destination === undefined ? {} : { destinationId: flags.destination }),
      ...(flags.includeNonRetryable === true ? { includeNonRetryable: true } : {}),
      checkPlan: async (plan) => {
        for (const line of describePlan(plan)) say(line);
        await redriveChecks({
          dynamo: new DynamoDBClient({}),
          stateTableName: deployment.stateTableName,
          config,
          ...(deps.streamChecker === undefined ? {} : { streamChecker: deps.streamChecker }),
          say,
        })(plan);
      },
      confirm: (plan) =>
        confirmOrRefuse({
          yes: flags.yes === true,
          prompter: deps.prompter ?? terminalPrompter,
          question: `move ${plan.selected} dead letter(s) from ${plan.dlqArn} into ${plan.exportQueueArn}?`,
          nothingDone: 'Nothing was moved.',
        }),
      onProgress: ({ moved, toMove }) => {
        progressShown = true;
        process.stderr.write(`\rmoved ${moved} of ${toMove}   `);
      },
    });
    if (progressShown) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.skipped > 0 && result.status !== 'DRY_RUN') {
      say(
        `${result.skipped} dead letter(s) left in the DLQ: marked not retryable (a redrive only dead-letters them again); fix their cause and delete them, or pass --include-non-retryable`,
      );
    }
    if (result.status === 'EMPTY') say('nothing to redrive');
    else if (result.status === 'INCOMPLETE' || result.status === 'FAILED' || result.status === 'CANCELLED') {
      say(
        `redrive ${result.status.toLowerCase()}: moved ${result.moved} of ${result.toMove}${result.failureReason === undefined ? '' : ` — ${result.failureReason}`}; check \`dlq list\` and redrive again`,
      );
      process.exitCode = 1;
    } else if (result.status === 'COMPLETED') {
      say(`redrive completed: ${result.moved} moved, none of them left in the dead-letter queue`);
    }
  });
}
