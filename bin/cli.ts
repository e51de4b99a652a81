#!/usr/bin/env node
/**
 * The kinesis-destination CLI: `npx kinesis-destination <command>` (this file compiled,
 * `dist/esm/bin/cli.js`, the package's "bin") or `npm run cli -- <command>` in a clone (through
 * `bin/kinesis-destination.js`, which loads this file with tsx). Every command works against AWS
 * (standard SDK environment) and against `local up` (the environment it prints); `local up` loads its
 * emulators only when it runs (cli/local-up.ts).
 */
import { Command, CommanderError } from 'commander';
import { registerBackfillCommand } from '../cli/backfill.js';
import { describeCliError } from '../cli/cli-io.js';
import { registerDecideCommands } from '../cli/decide/commands.js';
import { registerDlqCommands } from '../cli/dlq/commands.js';
import { registerEvaluateCommand } from '../cli/evaluate.js';
import { registerLocalCommands } from '../cli/local-up.js';
import { quietSdkNodeWarning } from '../cli/node-support.js';
import { registerPlanCommand } from '../cli/plan.js';
import { registerPolicyCommand } from '../cli/policy.js';
import { registerProfileCommands } from '../cli/profile.js';
import { registerStatusCommand } from '../cli/status.js';
import { registerTailCommand } from '../cli/tail.js';
import { registerValidateCommand } from '../cli/validate.js';

// No SDK client exists yet: the variable is set before the first one reads it.
const nodeNote = quietSdkNodeWarning(process.env, process.version);

const program = new Command()
  .name('kinesis-destination')
  .description(
    'Profile exports from DynamoDB to Amazon Kinesis: evaluate, write profiles, operate the pipeline',
  )
  .showHelpAfterError()
  .exitOverride()
  // Before a command runs, not before help or a usage error.
  .hook('preAction', () => {
    if (nodeNote !== undefined) process.stderr.write(`${nodeNote}\n`);
  });

registerEvaluateCommand(program);
registerProfileCommands(program);
registerLocalCommands(program);
registerTailCommand(program);
registerDlqCommands(program);
registerDecideCommands(program);
registerBackfillCommand(program);
registerValidateCommand(program);
registerPolicyCommand(program);
registerPlanCommand(program);
registerStatusCommand(program);

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
