#!/usr/bin/env node
/**
 * The kinesis-destination CLI: `npm run cli -- <command>`. Every command works against AWS (standard
 * SDK environment) and against `local up` (the environment it prints).
 */
import { Command, CommanderError } from 'commander';
import { registerBackfillCommand } from '../cli/backfill.js';
import { describeCliError } from '../cli/cli-io.js';
import { registerDlqCommands } from '../cli/dlq/commands.js';
import { registerEvaluateCommand } from '../cli/evaluate.js';
import { registerLocalCommands } from '../cli/local-up.js';
import { registerPolicyCommand } from '../cli/policy.js';
import { registerProfileCommands } from '../cli/profile.js';
import { registerTailCommand } from '../cli/tail.js';
import { registerValidateCommand } from '../cli/validate.js';

const program = new Command()
  .name('kinesis-destination')
  .description(
    'Profile exports from DynamoDB to Amazon Kinesis: evaluate, write profiles, operate the pipeline',
  )
  .showHelpAfterError()
  .exitOverride();

registerEvaluateCommand(program);
registerProfileCommands(program);
registerLocalCommands(program);
registerTailCommand(program);
registerDlqCommands(program);
registerBackfillCommand(program);
registerValidateCommand(program);
registerPolicyCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    const { exitCode, message } = describeCliError(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = exitCode;
  }
}
