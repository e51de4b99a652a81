import type { DynamoDBRecord } from 'aws-lambda';
import type { Command } from 'commander';
import { readJsonFile } from '../adapters/json-file.js';
import { formatFieldPath } from '../core/attribute-value.js';
import { type CompiledConfig, compileConfig } from '../core/compiled-config.js';
import { type DestinationDecision, decideExports } from '../core/decide.js';
import { documentValueIssues } from '../core/document-values.js';
import { UsageError } from '../core/errors.js';
import { isPlainObject } from '../core/field-path.js';
import { stringifyExact } from '../core/json-text.js';
import { type StoredProfile, safeParseStoredProfile } from '../core/profile.js';
import { buildProfileChange, type ProfileChange } from '../core/profile-change.js';
import { parseStreamRecord } from '../core/stream-record.js';
import { loadCommandConfig, withConfigOption } from './deployment.js';

/** Options of the `evaluate` command. */
export interface EvaluateOptions {
  readonly config?: string;
  readonly old?: string;
  readonly new?: string;
  readonly record?: string;
}

/** One destination in `evaluate`'s output. */
export interface EvaluatedDestination {
  readonly id: string;
  readonly export: boolean;
  readonly reasons: string[];
  readonly payload: Record<string, unknown> | null;
  readonly rejection?: { code: string; message: string };
}

/**
 * A profile image as DynamoDB stores it, or the problems that keep it from being one.
 * @throws UsageError naming `label` and each problem.
 */
export function parseProfileImage(json: unknown, label: string): StoredProfile {
  const parsed = safeParseStoredProfile(json);
  // A stored image holds what DynamoDB can store: nesting within its 32 levels (numbers are any).
  const issues = parsed.ok
    ? documentValueIssues(parsed.value, { numbers: false, attributeNames: false }).map(
        (issue) => `${formatFieldPath(issue.path)}: ${issue.message}`,
      )
    : parsed.issues;
  if (!parsed.ok || issues.length > 0) {
    throw new UsageError(`${label}: not a valid profile:\n  - ${issues.join('\n  - ')}`);
  }
  return parsed.value;
}

function readProfileImage(path: string, flag: string): StoredProfile {
  return parseProfileImage(readJsonFile(path, flag), `${flag} "${path}"`);
}

function readRecord(path: string): DynamoDBRecord {
  const json = readJsonFile(path, '--record');
  // Accept the record itself, or a Lambda event holding exactly one record.
  const candidate = isPlainObject(json) && Array.isArray(json.Records) ? json.Records : [json];
  if (candidate.length !== 1 || !isPlainObject(candidate[0])) {
    throw new UsageError(
      `--record "${path}": expected one DynamoDB Streams record (an object with eventName and dynamodb), or an event whose Records array holds exactly one`,
    );
  }
  return candidate[0] as DynamoDBRecord;
}

function changeFrom(options: EvaluateOptions): ProfileChange {
  if (options.record !== undefined) {
    if (options.old !== undefined || options.new !== undefined) {
      throw new UsageError('give either --record, or --old and/or --new, not both');
    }
    const parsed = parseStreamRecord(readRecord(options.record));
    if (!parsed.ok) throw new UsageError(`--record "${options.record}": ${parsed.reason}`);
    return parsed.change;
  }
  const oldImage = options.old === undefined ? undefined : readProfileImage(options.old, '--old');
  const newImage = options.new === undefined ? undefined : readProfileImage(options.new, '--new');
  const built = buildProfileChange({ oldImage, newImage });
  if (built.ok) return built.change;
  switch (built.problem.kind) {
    case 'different-profiles':
      throw new UsageError(
        `--old "${options.old}" is profile "${built.problem.oldProfileId}" but --new "${options.new}" is profile "${built.problem.newProfileId}": compare two images of one profile`,
      );
    default:
      throw new UsageError(
        'give --new (and --old for an update), --old alone for a delete, or --record for a stream record',
      );
  }
}

function present(decision: DestinationDecision): EvaluatedDestination {
  const reasons = decision.reasons.map((r) => `${r.code}: ${r.message}`);
  if (decision.export)
    return { id: decision.destinationId, export: true, reasons, payload: decision.document };
  return {
    id: decision.destinationId,
    export: false,
    reasons,
    payload: null,
    ...(decision.rejection && { rejection: { ...decision.rejection } }),
  };
}

/**
 * Evaluates the change from `oldImage` to `newImage` (already parsed images; either may be absent)
 * against every destination of a compiled config: the `evaluate` command's core, for callers that
 * hold the images rather than files (the local console's evaluate form).
 * @throws UsageError when neither image is given or they are images of two profiles.
 */
export function evaluateImages(
  config: CompiledConfig,
  images: { readonly oldImage?: StoredProfile; readonly newImage?: StoredProfile },
): { destinations: EvaluatedDestination[] } {
  const built = buildProfileChange({ oldImage: images.oldImage, newImage: images.newImage });
  if (!built.ok) {
    throw new UsageError(
      built.problem.kind === 'different-profiles'
        ? `the old image is profile "${built.problem.oldProfileId}" but the new image is profile "${built.problem.newProfileId}": compare two images of one profile`
        : 'give the new image (and the old one for an update), or the old one alone for a delete',
    );
  }
  return { destinations: decideExports(built.change, config).map(present) };
}

/**
 * The operator's "why was / wasn't this profile exported?" tool: evaluates one change against every
 * destination of the config.
 * @throws UsageError or ConfigError for bad input (the CLI exits with code 2).
 */
export function evaluateCommand(options: EvaluateOptions): { destinations: EvaluatedDestination[] } {
  const config = compileConfig(loadCommandConfig(options.config));
  return { destinations: decideExports(changeFrom(options), config).map(present) };
}

/** Registers `evaluate` on the CLI. */
export function registerEvaluateCommand(program: Command): void {
  withConfigOption(
    program
      .command('evaluate')
      .description(
        'decide whether a profile change is exported to each destination, why, and with which payload',
      ),
  )
    .option('--old <file>', 'the profile before the change (omit for an insert)')
    .option('--new <file>', 'the profile after the change (omit for a delete)')
    .option(
      '--record <file>',
      'one DynamoDB Streams record as found in a Lambda event, instead of --old/--new',
    )
    .action((options: EvaluateOptions) => {
      process.stdout.write(`${stringifyExact(evaluateCommand(options), 2)}\n`);
    });
}
