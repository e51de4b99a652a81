import type { Command } from 'commander';
import { type PlanReport, planCapacity } from '../core/capacity/plan.js';
import { CONFIG_PATH_VARIABLE } from '../core/environment-variables.js';
import { ConfigError, UsageError } from '../core/errors.js';
import { throughputOf } from '../core/throughput-settings.js';
import { loadCommandConfig } from './deployment.js';
import { parseDecimalFlag, parseOptionalDecimalFlag, parseOptionalWholeFlag } from './flags.js';

/**
 * `plan --rate R`: a platform engineer's first questions about a rate — Kinesis shards per
 * destination, the mappings' concurrency, modelled p95 latency, monthly cost, backfill time and every
 * limit the rate runs into — from the capacity model (`core/capacity/`). Reads no AWS resource.
 */

/** The flags of `plan`. */
export interface PlanFlags {
  readonly rate: string;
  readonly documentBytes?: string;
  readonly profiles?: string;
  readonly segments?: string;
  readonly exportShare?: string;
  readonly config?: string;
  readonly json?: boolean;
}

/**
 * Works out the plan for the flags. The config (`--config`, or `KD_CONFIG`) gives the number of
 * destinations and the default document size; without one, one destination.
 * @throws UsageError with a one-line reason (bad numbers, an unreadable or invalid config).
 */
export function planFromFlags(flags: PlanFlags, env: NodeJS.ProcessEnv = process.env): PlanReport {
  // Profile writes per second.
  if (flags.rate === undefined) throw new UsageError('--rate is required');
  const rate = parseDecimalFlag(flags.rate, '--rate', { min: 0, minExclusive: true, max: 1_000_000 });
  const configPath = flags.config ?? (env[CONFIG_PATH_VARIABLE] || undefined);
  let destinations = 1;
  let configDocumentBytes: number | undefined;
  if (configPath !== undefined) {
    try {
      const config = loadCommandConfig(configPath);
      destinations = config.destinations.length;
      configDocumentBytes = throughputOf(config).documentBytes;
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`${configPath}: ${error.issues.join('; ')}`);
      throw error;
    }
  }
  const documentBytes =
    parseOptionalWholeFlag(flags.documentBytes, '--document-bytes', { min: 1, max: 1_048_576 }) ??
    configDocumentBytes ??
    throughputOf({}).documentBytes;
  return planCapacity({
    rate,
    documentBytes,
    destinations,
    exportShare:
      parseOptionalDecimalFlag(flags.exportShare, '--export-share', { min: 0, minExclusive: true, max: 1 }) ??
      1,
    profiles: parseOptionalWholeFlag(flags.profiles, '--profiles', { min: 0 }) ?? 0,
    segments: parseOptionalWholeFlag(flags.segments, '--segments', { min: 1 }) ?? 1,
  });
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const usd = (n: number) => `$${fmt(n, 2)}`;

/** The plan as text, one answer per line. */
export function planText(p: PlanReport): string {
  const c = p.monthlyCost;
  const lines = [
    `plan for ${fmt(p.ratePerSecond)} profile writes/s, ${fmt(p.documentBytes)}-byte documents, ${p.destinations} destination(s), export share ${p.exportShare}`,
    `  Kinesis shards per destination  ${p.kinesisShards} provisioned (at least ${p.kinesisShardsMinimum} at 1,000 records/s and 1 MB/s per shard), or on-demand`,
    `  decide parallelizationFactor    ${p.decideParallelizationFactor} (the table's stream has about ${p.streamShards} shard(s) at this rate)`,
    `  export maxConcurrency           ${p.exportConcurrency}`,
    `  Lambda concurrency, at most     ${p.lambdaConcurrency}`,
    `  modelled write → Kinesis        p50 ${fmt(p.p50Ms)} ms, p95 ${fmt(p.p95Ms)} ms, p99 ${fmt(p.p99Ms)} ms; ${fmt(p.deliveredPerSecond)} writes/s delivered; bottleneck ${p.bottleneck}`,
    `  monthly cost                    ${usd(p.monthlyCostUsd)} (Kinesis provisioned: ${usd(c.totalWithProvisionedUsd)}, on-demand: ${usd(c.totalWithOnDemandUsd)})`,
    ...c.lines.map((l) => `    ${l.item.padEnd(46)} ${usd(l.usd)}`),
    `    ${'Kinesis, provisioned shards'.padEnd(46)} ${usd(c.kinesisProvisionedUsd)}`,
    `    ${'Kinesis, on-demand'.padEnd(46)} ${usd(c.kinesisOnDemandUsd)}`,
  ];
  if (p.backfill !== null) {
    const b = p.backfill;
    lines.push(
      `  backfill of ${fmt(b.profiles)} profiles   one scan for ${b.segments} newly mapped segment(s): ${fmt(b.minutes, 1)} min to queue every member (${fmt(b.layout.readUnitsPerSecond)} read units/s, ${b.layout.totalSegments} segments, ${b.layout.workers} workers), ${fmt(b.deliveredMinutes, 1)} min until the last is in Kinesis; reads ${usd(b.readCostUsd)}`,
    );
  }
  lines.push(p.bottlenecks.length === 0 ? '  bottlenecks: none at this rate' : '  bottlenecks:');
  for (const b of p.bottlenecks) lines.push(`    - ${b}`);
  lines.push('  assumptions:');
  for (const a of p.assumptions) lines.push(`    - ${a}`);
  return `${lines.join('\n')}\n`;
}

/** The plan as one JSON object (numbers rounded for reading). */
export function planJson(p: PlanReport): string {
  return `${JSON.stringify(p, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value,
  )}\n`;
}

/** Registers `plan` on the CLI. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'shards, concurrency, modelled latency, monthly cost and backfill time for a rate (no AWS call)',
    )
    .requiredOption('--rate <writes>', 'profile writes per second')
    .option(
      '--document-bytes <bytes>',
      "export document size (default: the config's throughput.documentBytes, else 6000)",
    )
    .option('--profiles <n>', 'profiles in the table, for the backfill line')
    .option('--segments <n>', 'segments a deploy newly maps (one scan serves them all)', '1')
    .option('--export-share <share>', 'share of writes that export, per destination (default 1)')
    .option('--config <file>', 'destination config (default: $KD_CONFIG; without one, one destination)')
    .option('--json', 'one JSON object on stdout')
    .action((flags: PlanFlags) => {
      const report = planFromFlags(flags);
      process.stdout.write(flags.json === true ? planJson(report) : planText(report));
    });
}
