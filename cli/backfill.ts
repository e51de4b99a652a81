import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { StateTableItems, stateTableDocumentClient } from '../adapters/state-table-io.js';
import { backfillReadPace } from '../core/capacity/backfill.js';
import { compileConfig } from '../core/compiled-config.js';
import type { DestinationConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { type BackfillCheckpoint, pairMarkerKey, parsePairMarker } from '../core/state-records.js';
import { type BackfillOptions, type BackfillResult, runBackfill } from '../lambdas/backfill/backfill.js';
import { readCheckpoint, totals } from '../lambdas/backfill/checkpoints.js';
import { describeProfileTable } from '../lambdas/backfill/profile-scan.js';
import { confirmOrRefuse, type Prompter, terminalPrompter } from './confirm.js';
import {
  type Deployment,
  type DeploymentCommandOptions,
  deploymentTarget,
  describeDeploymentSource,
  findDestination,
  loadCommandConfig,
  parsePositiveInt,
  resolveDeploymentFrom,
  withDeploymentOptions,
} from './deployment.js';
import { ProgressLine, type ProgressSink } from './progress.js';

/** Options of {@link backfillFromCli}. */
export interface CliBackfillOptions {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly deployment: Pick<Deployment, 'profileTableName' | 'stateTableName' | 'exportQueueUrl'>;
  readonly config: DestinationConfig;
  readonly destinationId: string;
  /** @default - every segment mapped to the destination */
  readonly segmentIds?: readonly string[];
  /** Continue the unfinished run. */
  readonly resume?: boolean;
  /** Start over although an unfinished run exists. */
  readonly restart?: boolean;
  readonly readUnitsPerSecond?: number;
  readonly signal?: AbortSignal;
  /** Progress output. @default process.stderr */
  readonly progress?: ProgressSink;
  /** @default - `cli-<UTC time>-<random>` */
  readonly runId?: string;
  /** Passed through (tests use small pages). */
  readonly pageSize?: number;
  readonly totalSegments?: number;
  /** Called after each page, e.g. to stop a test run midway. */
  readonly onPage?: BackfillOptions['onProgress'];
  /** Re-export segments already backfilled without asking (`--yes`). @default false */
  readonly yes?: boolean;
  /** Where the question goes when segments were backfilled already. @default terminalPrompter */
  readonly prompter?: Prompter;
}

/**
 * The share of the profile table's read capacity a backfill uses, and its pace on an on-demand
 * table DescribeTable says nothing more of: what `--help` says and what the run prints, from the
 * same function (core/capacity/backfill.ts) and setting.
 */
export const BACKFILL_DEFAULT_PACE = {
  share: PIPELINE_SETTINGS.backfill.maxReadCapacityShare,
  onDemandReadUnitsPerSecond: backfillReadPace({ billing: 'PAY_PER_REQUEST' }),
} as const;

/** The `--rcu` help: the default pace, from {@link BACKFILL_DEFAULT_PACE}. */
export function rcuHelp(): string {
  const percent = Math.round(BACKFILL_DEFAULT_PACE.share * 100);
  return `read units per second to use (default: ${percent}% of a provisioned table's read capacity; on demand, ${percent}% of the table's read ceiling within its warm throughput: ${BACKFILL_DEFAULT_PACE.onDemandReadUnitsPerSecond.toLocaleString('en-US')} for a new on-demand table)`;
}

/** A segment whose members were exported to the destination already, and by which run. */
export interface DeliveredSegment {
  readonly segmentId: string;
  readonly runId: string;
  readonly completedAt: number | undefined;
}

/**
 * The segments of `segmentIds` already backfilled to the destination: a completion marker of the
 * pair (a deploy's scan), or the completed checkpoint of a CLI run over exactly these segments.
 * @throws StateRecordError for a malformed marker; the SDK's error.
 */
export async function deliveredSegments(
  dynamo: DynamoDBClient,
  stateTableName: string,
  destinationId: string,
  segmentIds: readonly string[],
  existing: BackfillCheckpoint | undefined,
): Promise<DeliveredSegment[]> {
  const items = new StateTableItems(stateTableDocumentClient(dynamo), stateTableName);
  const delivered: DeliveredSegment[] = [];
  for (const segmentId of segmentIds) {
    const marker = parsePairMarker(await items.get(pairMarkerKey({ destinationId, segmentId })));
    if (marker !== undefined) {
      delivered.push({ segmentId, runId: marker.runId, completedAt: marker.completedAt });
    } else if (existing?.status === 'completed') {
      delivered.push({ segmentId, runId: existing.runId, completedAt: existing.completedAt });
    }
  }
  return delivered;
}

/** The question asked before re-exporting segments already delivered (pure). */
export function reexportQuestion(
  destinationId: string,
  delivered: readonly DeliveredSegment[],
  profiles: number | undefined,
  lastQueued: number | undefined,
): string {
  const segments = delivered
    .map(
      (d) =>
        `${d.segmentId} (run ${d.runId}${d.completedAt === undefined ? '' : `, ${new Date(d.completedAt).toISOString()}`})`,
    )
    .join(', ');
  const howMany = [
    lastQueued === undefined ? undefined : `the last run of these segments queued ${lastQueued}`,
    profiles === undefined ? undefined : `the profile table holds about ${profiles} profiles`,
  ]
    .filter((x) => x !== undefined)
    .join('; ');
  return `${delivered.length} segment(s) of "${destinationId}" were backfilled already — ${segments}: this backfill exports every current member of them again, which the destination has received${howMany.length === 0 ? '' : ` (${howMany})`}. Re-export them?`;
}

/** A new run id: sortable by start time, unique enough for one operator's runs. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `cli-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * The `backfill` command's logic: checks the flags against the checkpoint, then runs the same scan
 * as the backfill function, with a progress line on `progress`.
 * @throws UsageError (unknown destination, unmapped segment, nothing to resume, an unfinished run
 *   without --resume / --restart), BackfillError or the SDK's error.
 */
export async function backfillFromCli(options: CliBackfillOptions): Promise<BackfillResult> {
  const destination = findDestination(options.config, options.destinationId);
  const mapped = destination.segments.map((s) => s.id);
  const segmentIds =
    options.segmentIds === undefined || options.segmentIds.length === 0 ? mapped : [...options.segmentIds];
  const unmapped = segmentIds.filter((s) => !mapped.includes(s));
  if (unmapped.length > 0) {
    throw new UsageError(
      `--segment ${unmapped.join(', ')}: not mapped to destination "${destination.id}" (mapped: ${mapped.join(', ')}); map it in the config and deploy first`,
    );
  }
  if (options.resume === true && options.restart === true)
    throw new UsageError('give --resume or --restart, not both');

  const existing = await readCheckpoint(
    options.dynamo,
    options.deployment.stateTableName,
    destination.id,
    segmentIds,
  );
  const resumeHint = `npm run cli -- backfill --destination ${destination.id}${options.segmentIds === undefined ? '' : segmentIds.map((s) => ` --segment ${s}`).join('')}`;
  if (options.resume === true && existing === undefined) {
    throw new UsageError(
      `no backfill to resume for destination "${destination.id}" and these segments; start one with: ${resumeHint}`,
    );
  }
  if (options.resume !== true && options.restart !== true && existing?.status === 'running') {
    const done = Object.values(existing.segments).reduce((n, s) => n + s.scanned, 0);
    throw new UsageError(
      `an unfinished backfill (run ${existing.runId}, ${done} items read) exists: continue it with \`${resumeHint} --resume\`, or start over with --restart`,
    );
  }

  if (options.resume !== true) {
    const delivered = await deliveredSegments(
      options.dynamo,
      options.deployment.stateTableName,
      destination.id,
      segmentIds,
      existing,
    );
    if (delivered.length > 0) {
      const facts = await describeProfileTable(options.dynamo, options.deployment.profileTableName, {});
      await confirmOrRefuse({
        yes: options.yes === true,
        prompter: options.prompter ?? terminalPrompter,
        question: reexportQuestion(
          destination.id,
          delivered,
          facts.totalItems,
          existing?.status === 'completed' ? totals(existing.segments).queued : undefined,
        ),
        nothingDone: 'Nothing was exported.',
      });
    }
  }

  const sink = options.progress ?? process.stderr;
  let line: ProgressLine | undefined;
  try {
    return await runBackfill({
      dynamo: options.dynamo,
      sqs: options.sqs,
      profileTableName: options.deployment.profileTableName,
      stateTableName: options.deployment.stateTableName,
      exportQueueUrl: options.deployment.exportQueueUrl,
      config: compileConfig(options.config),
      destinationId: destination.id,
      segmentIds,
      mode: options.resume === true ? 'resume' : 'new',
      runId: options.runId ?? newRunId(),
      ...(options.readUnitsPerSecond === undefined ? {} : { readUnitsPerSecond: options.readUnitsPerSecond }),
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.totalSegments === undefined ? {} : { totalSegments: options.totalSegments }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onStart: (info) => {
        sink.write(
          `${info.resumed ? 'resuming' : 'starting'} backfill ${info.runId} of "${destination.id}" (${segmentIds.length} segment(s)); reads paced to ${Math.round(info.readUnitsPerSecond)} read units/s; Ctrl-C stops after checkpointing\n`,
        );
        line = new ProgressLine(sink, Date.now());
      },
      onProgress: (p) => {
        line?.update({
          done: p.scanned,
          total: p.totalItems,
          doneSinceStart: p.scannedThisInvocation,
          detail: `queued ${p.queued}  segments ${p.segmentsDone}/${p.totalSegments}`,
        });
        options.onPage?.(p);
      },
    });
  } finally {
    line?.finish();
  }
}

interface BackfillFlags extends DeploymentCommandOptions {
  readonly destination: string;
  readonly segment?: string[];
  readonly resume?: boolean;
  readonly restart?: boolean;
  readonly rcu?: string;
  readonly yes?: boolean;
}

/** Registers `backfill` on the CLI. */
export function registerBackfillCommand(program: Command): void {
  withDeploymentOptions(
    program
      .command('backfill')
      .description(
        'export, once, the profiles already in segments mapped to a destination (the historical backfill)',
      )
      .requiredOption('--destination <id>', 'the destination')
      .option('--segment <id...>', 'only these mapped segments (default: all mapped segments)')
      .option('--resume', 'continue the unfinished run where it stopped')
      .option('--restart', 'start over although an unfinished run exists')
      .option('--rcu <n>', rcuHelp())
      .option('--yes', 're-export segments already backfilled without asking (required without a terminal)'),
  ).action(async (flags: BackfillFlags) => {
    const config = loadCommandConfig(flags.config);
    const rcu = flags.rcu === undefined ? undefined : parsePositiveInt(flags.rcu, '--rcu');
    const { deployment, source } = await resolveDeploymentFrom({
      need: ['profileTableName', 'stateTableName', 'exportQueueUrl'],
      ...deploymentTarget(flags),
    });
    process.stderr.write(`${describeDeploymentSource(source)}\n`);
    const controller = new AbortController();
    let firstSigintAt = 0;
    const onSigint = () => {
      if (controller.signal.aborted) {
        // One Ctrl-C can arrive twice (the terminal signals the process group, and tsx relays it
        // to this process too): only a second press a moment later quits at once.
        if (Date.now() - firstSigintAt > 1_000) process.exit(130);
        return;
      }
      firstSigintAt = Date.now();
      controller.abort();
      process.stderr.write(
        '\nstopping: queuing and checkpointing the pages in flight (Ctrl-C again to quit at once)\n',
      );
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await backfillFromCli({
        dynamo: new DynamoDBClient({}),
        sqs: new SQSClient({}),
        deployment,
        config,
        destinationId: flags.destination,
        ...(flags.segment === undefined ? {} : { segmentIds: flags.segment }),
        ...(flags.resume === true ? { resume: true } : {}),
        ...(flags.restart === true ? { restart: true } : {}),
        ...(rcu === undefined ? {} : { readUnitsPerSecond: rcu }),
        ...(flags.yes === true ? { yes: true } : {}),
        signal: controller.signal,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.status === 'stopped') {
        process.stderr.write(
          `stopped after ${result.scanned} items; continue with: npm run cli -- backfill --destination ${flags.destination}${(flags.segment ?? []).map((s) => ` --segment ${s}`).join('')} --resume\n`,
        );
        process.exitCode = 130;
      } else if (result.status === 'already-completed') {
        process.stderr.write(`run ${result.runId} already completed; nothing to resume\n`);
      } else if (result.status === 'superseded') {
        process.stderr.write(
          `run ${result.runId} was replaced by a newer run of the same backfill; stopped\n`,
        );
        process.exitCode = 1;
      } else {
        process.stderr.write(
          `completed: ${result.scanned} items read, ${result.queued} exports queued${result.invalid > 0 ? `, ${result.invalid} invalid items skipped` : ''}${result.tooLarge > 0 ? `, ${result.tooLarge} too large for a Kinesis record` : ''}${result.refused > 0 ? `, ${result.refused} refused by SQS` : ''}\n`,
        );
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}
