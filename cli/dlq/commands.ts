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
import {
  type DeploymentCommandOptions,
  deploymentTarget,
  loadCommandConfig,
  parsePositiveInt,
  requireDeployment,
  selectDestinations,
  withDeploymentOptions,
} from '../deployment.js';
import { listDeadLetters } from './listing.js';
import { redriveDeadLetters } from './redrive.js';
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
}

function checkDestinationFlag(flags: { config?: string; destination?: string }): void {
  // An unknown id is a typo, not an empty result.
  if (flags.destination !== undefined) selectDestinations(loadCommandConfig(flags.config), flags.destination);
}

/** Registers `dlq list` and `dlq redrive` on the CLI. */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description("inspect and redrive the export queue's dead-letter queue");

  withDeploymentOptions(
    dlq
      .command('list')
      .description('one row per dead-lettered export with its last error (messages are not consumed)')
      .option('--destination <id>', 'only this destination')
      .option('--limit <n>', 'at most this many rows', '100')
      .option('--json', 'JSON array instead of a table')
      .option('--show-payload', 'include each export document (attribute values and identities)'),
  ).action(async (flags: ListFlags) => {
    checkDestinationFlag(flags);
    const limit = parsePositiveInt(flags.limit ?? '100', '--limit');
    const deployment = await requireDeployment({
      need: ['dlqUrl', 'stateTableName'],
      ...deploymentTarget(flags),
    });
    process.stderr.write('reading the dead-letter queue (messages stay in it)…\n');
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
    process.stderr.write(
      `${listing.rows.length} dead-lettered export(s)${flags.destination === undefined ? '' : ` of ${flags.destination}`}` +
        `${listing.truncated ? ` (limit ${limit} reached; about ${listing.approximateDepth} in the queue)` : ''}\n`,
    );
  });

  withDeploymentOptions(
    dlq
      .command('redrive')
      .description('move dead-lettered exports back to the export queue and wait until they are moved')
      .option('--destination <id>', "only this destination's exports (moved by the CLI itself)")
      .option('--dry-run', 'count what would be moved; move nothing')
      .option('--rate <n>', 'messages per second (1–500)'),
  ).action(async (flags: RedriveFlags) => {
    checkDestinationFlag(flags);
    const rate = flags.rate === undefined ? undefined : parsePositiveInt(flags.rate, '--rate');
    const deployment = await requireDeployment({
      need: ['dlqUrl', 'exportQueueUrl'],
      ...deploymentTarget(flags),
    });
    let progressShown = false;
    const result = await redriveDeadLetters({
      sqs: new SQSClient({}),
      dlqUrl: deployment.dlqUrl,
      exportQueueUrl: deployment.exportQueueUrl,
      ...(rate === undefined ? {} : { rate }),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
      ...(flags.destination === undefined ? {} : { destinationId: flags.destination }),
      onProgress: ({ moved, toMove }) => {
        progressShown = true;
        process.stderr.write(`\rmoved ${moved} of ${toMove}   `);
      },
    });
    if (progressShown) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.failed > 0 || result.status === 'FAILED' || result.status === 'CANCELLED') {
      process.stderr.write(
        `redrive ${result.status.toLowerCase()}: ${result.failed} message(s) not moved${result.failureReason === undefined ? '' : ` (${result.failureReason})`}; they are still in the dead-letter queue — check \`dlq list\` and redrive again\n`,
      );
      process.exitCode = 1;
    }
  });
}
