/**
 * The mappings' settings derived from the expected peak (`throughput.peakWritesPerSecond` in the
 * config): the decide mapping's ParallelizationFactor and the export mapping's MaximumConcurrency,
 * and the warnings a synth shows when a stream the stack creates cannot carry the peak. The floors
 * and the defaults are in core/pipeline-settings.ts, the one settings source; this is its arithmetic.
 * Pure.
 */
import { aws } from './capacity/aws-figures.js';
import { AWS_ASSUMED_LATENCIES, type CodeTimings, PLANNING_TIMINGS } from './capacity/parameters.js';
import {
  decideLaneRecordsPerSecond,
  exportSlotMessagesPerSecond,
  minimumKinesisShards,
  TARGET_UTILISATION,
} from './capacity/sizing.js';
import type { DestinationConfig } from './config.js';
import { PIPELINE_SETTINGS } from './pipeline-settings.js';

/** A Kinesis record is the document plus its partition key (a profile id, up to 256 characters; 36 assumed). */
const PARTITION_KEY_BYTES = 36;

/** What the derivation takes. */
export interface ThroughputInput {
  readonly peakWritesPerSecond: number;
  readonly destinations: number;
}

/** The derived settings. */
export interface MappingSettings {
  readonly peakWritesPerSecond: number;
  readonly parallelizationFactor: number;
  readonly maxConcurrency: number;
  /** What the peak needs before the limits (1–10, 2–1,000) and the floors are applied. */
  readonly needed: { readonly parallelizationFactor: number; readonly maxConcurrency: number };
  /** One line per limit the peak runs into. */
  readonly warnings: readonly string[];
}

/**
 * The decide mapping's ParallelizationFactor and the export mapping's MaximumConcurrency for a peak.
 *
 * - Decide: a stream shard carries at most what its table partition takes, 1,000 writes a second
 *   (the worst case: items of 1 KB or less); each of the factor's lanes handles
 *   `decideLaneRecordsPerSecond` of them, planned at the target utilisation.
 * - Export: every write may export to every destination; each concurrent invocation handles
 *   `exportSlotMessagesPerSecond` messages, planned at the target utilisation.
 */
export function deriveMappingSettings(
  input: ThroughputInput,
  timings: CodeTimings = PLANNING_TIMINGS,
): MappingSettings {
  const lane = decideLaneRecordsPerSecond({
    ...timings,
    decideBatchSize: PIPELINE_SETTINGS.decide.batchSize,
    getRecordsMs: AWS_ASSUMED_LATENCIES.getRecordsMs,
  });
  const perShard = Math.min(input.peakWritesPerSecond, aws('partitionWriteUnits'));
  const factorNeeded = Math.max(1, Math.ceil(perShard / (lane * TARGET_UTILISATION)));
  const slot = exportSlotMessagesPerSecond({
    ...timings,
    exportBatchSize: PIPELINE_SETTINGS.export.batchSize,
  });
  const exportsPerSecond = input.peakWritesPerSecond * Math.max(1, input.destinations);
  const concurrencyNeeded = Math.max(1, Math.ceil(exportsPerSecond / (slot * TARGET_UTILISATION)));

  const maxFactor = aws('maxParallelizationFactor');
  const maxConcurrencyLimit = aws('maxMaxConcurrency');
  const parallelizationFactor = Math.min(
    maxFactor,
    Math.max(PIPELINE_SETTINGS.decide.parallelizationFactor, factorNeeded),
  );
  const maxConcurrency = Math.min(
    maxConcurrencyLimit,
    Math.max(PIPELINE_SETTINGS.export.maxConcurrency, aws('minMaxConcurrency'), concurrencyNeeded),
  );
  const warnings: string[] = [];
  if (factorNeeded > maxFactor) {
    warnings.push(
      `a stream shard may receive ${perShard} writes/s; the decide mapping needs a ParallelizationFactor of ${factorNeeded} for that, above the maximum of ${maxFactor}: expect iterator age to grow on a hot shard`,
    );
  }
  if (concurrencyNeeded > maxConcurrencyLimit) {
    warnings.push(
      `${exportsPerSecond} exports/s need ${concurrencyNeeded} concurrent export invocations, above MaximumConcurrency's maximum of ${maxConcurrencyLimit}: the export queue will grow at the peak`,
    );
  }
  return {
    peakWritesPerSecond: input.peakWritesPerSecond,
    parallelizationFactor,
    maxConcurrency,
    needed: { parallelizationFactor: factorNeeded, maxConcurrency: concurrencyNeeded },
    warnings,
  };
}

/** The peak and document size a config asks for, with the defaults of the settings. */
export function throughputOf(config: Pick<DestinationConfig, 'throughput'>): {
  readonly peakWritesPerSecond: number;
  readonly documentBytes: number;
} {
  const defaults = PIPELINE_SETTINGS.throughput;
  return {
    peakWritesPerSecond: config.throughput?.peakWritesPerSecond ?? defaults.defaultPeakWritesPerSecond,
    documentBytes: config.throughput?.documentBytes ?? defaults.defaultDocumentBytes,
  };
}

/**
 * The settings for a config, with a warning for each stream the stack creates with fewer
 * provisioned shards than the peak needs (every write exporting to it, records of the config's
 * document size plus a partition key).
 */
export function mappingSettingsFor(
  config: Pick<DestinationConfig, 'throughput' | 'destinations'>,
): MappingSettings {
  const { peakWritesPerSecond, documentBytes } = throughputOf(config);
  const settings = deriveMappingSettings({ peakWritesPerSecond, destinations: config.destinations.length });
  const recordBytes = documentBytes + PARTITION_KEY_BYTES;
  const shardsNeeded = minimumKinesisShards(peakWritesPerSecond, recordBytes);
  const streamWarnings = config.destinations.flatMap((d) => {
    const created = d.createStream;
    if (created?.mode !== 'PROVISIONED' || created.shardCount === undefined) return [];
    if (created.shardCount >= shardsNeeded) return [];
    return [
      `destination "${d.id}": the stream it creates has ${created.shardCount} provisioned shard(s); ${peakWritesPerSecond} writes/s of ${recordBytes}-byte records need at least ${shardsNeeded} (1,000 records/s and 1 MB/s per shard): set createStream.shardCount to ${shardsNeeded} or more, or mode ON_DEMAND`,
    ];
  });
  return { ...settings, warnings: [...settings.warnings, ...streamWarnings] };
}
