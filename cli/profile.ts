import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { readDocuments } from '../adapters/json-file.js';
import { deleteProfile, writeProfiles } from '../adapters/profile-writer.js';
import { DEPLOYMENT_VARIABLE } from '../core/environment-variables.js';
import { UsageError } from '../core/errors.js';
import { STACK_OUTPUT } from '../core/stack-outputs.js';

function profileTableName(flag: string | undefined): string {
  const name = flag ?? process.env[DEPLOYMENT_VARIABLE.profileTableName];
  if (name === undefined || name.length === 0) {
    throw new UsageError(
      `no profile table: pass --table NAME or set ${DEPLOYMENT_VARIABLE.profileTableName} (\`npm run cli -- local up\` prints it; on AWS it is the stack output ${STACK_OUTPUT.profileTableName})`,
    );
  }
  return name;
}

/** Registers `profile put` and `profile delete` on the CLI. */
export function registerProfileCommands(program: Command): void {
  const profile = program
    .command('profile')
    .description('write or delete profiles through the profile writer');
  profile
    .command('put')
    .description(
      'merge profile documents into the profile table (one JSON document, a JSON array, or NDJSON)',
    )
    .requiredOption('--file <file>', 'the documents to write')
    .option('--table <name>', 'profile table (default: $PROFILE_TABLE_NAME)')
    .action(async (options: { file: string; table?: string }) => {
      const documents = readDocuments(options.file, '--file');
      const results = await writeProfiles(documents, {
        tableName: profileTableName(options.table),
        client: new DynamoDBClient({}),
      });
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.stderr.write(`wrote ${results.length} profile document(s)\n`);
    });
  profile
    .command('delete')
    .description('delete a profile (exported as exiting its mapped segments)')
    .requiredOption('--id <profileId>', 'the profile to delete')
    .option('--table <name>', 'profile table (default: $PROFILE_TABLE_NAME)')
    .action(async (options: { id: string; table?: string }) => {
      const existed = await deleteProfile(options.id, {
        tableName: profileTableName(options.table),
        client: new DynamoDBClient({}),
      });
      process.stderr.write(
        existed ? `deleted profile ${options.id}\n` : `profile ${options.id} did not exist\n`,
      );
    });
}
