/**
 * Benchmark 1 — the decision core against the unavoidable work.
 *
 * Per stream record, the decide path does: `parseStreamRecord` (unmarshall the fields the decision
 * reads of both images with the core's exact value mapping + zod validation of their fixed-shape
 * fields) and `decideExports` (rules, payload builder, the document's exact JSON text, which the
 * Kinesis record limit is checked on and the export message carries). The baseline does only what
 * any implementation must: unmarshall both whole images (with the AWS SDK's `unmarshall`, which
 * rounds numbers a double cannot hold and maps sets to `Set`s) and `JSON.stringify` the export
 * document (precomputed, for the records that export).
 * Both run over the same records, interleaved round by round; the ratio is the median of the
 * per-round ratios.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { CompiledConfig } from '../core/compiled-config.js';
import { decideExports } from '../core/decide.js';
import type { ExportDocument } from '../core/payload.js';
import { parseStreamRecord } from '../core/stream-record.js';
import { type BenchRecord, benchConfig, benchStreamRecords, CHANGE_KINDS } from './profiles.js';
import { median, round, timeSync } from './stats.js';

export interface DecideBenchResult {
  /** Stream records evaluated per second by the decide path (parse + decide), median of rounds. */
  perSecond: number;
  /** Decide path time / baseline time, median of per-round ratios. */
  ratioToBaseline: number;
  /** Same, with every field of the images unmarshalled (no `fieldsRead` projection). */
  ratioToBaselineWithoutProjection: number;
  /** Baseline records per second. */
  baselinePerSecond: number;
  /** Microseconds per record. */
  microsPerRecord: { decidePath: number; baseline: number; parse: number; decide: number };
  records: number;
  rounds: number;
  exportedShare: number;
  /** Median JSON size of a stored profile image, bytes. */
  profileBytes: number;
  /** Median size of one stream record's two images as DynamoDB JSON, bytes. */
  streamRecordBytes: number;
  documentBytes: number;
  perKind: Record<string, number>;
}

let sink = 0;

function baselinePass(records: readonly BenchRecord[], documents: readonly (ExportDocument | null)[]): void {
  for (let i = 0; i < records.length; i++) {
    const data = (records[i] as BenchRecord).record.dynamodb;
    const o = unmarshall(data?.OldImage as never);
    const n = unmarshall(data?.NewImage as never);
    const doc = documents[i];
    sink += (doc === null || doc === undefined ? 0 : JSON.stringify(doc).length) + (o ? 1 : 0) + (n ? 1 : 0);
  }
}

function decidePass(
  records: readonly BenchRecord[],
  config: CompiledConfig,
  fields?: ReadonlySet<string>,
): void {
  const options = fields === undefined ? {} : { fields };
  for (const r of records) {
    const parsed = parseStreamRecord(r.record, options);
    if (!parsed.ok) throw new Error(`benchmark record rejected: ${parsed.reason}`);
    sink += decideExports(parsed.change, config).length;
  }
}

/** Runs the decision-core benchmark. */
export function runDecideBench(options: { records?: number; rounds?: number } = {}): DecideBenchResult {
  const count = options.records ?? 2000;
  const rounds = options.rounds ?? 15;
  const config = benchConfig();
  const records = benchStreamRecords(count);
  const fields = config.fieldsRead;

  // The documents the baseline stringifies: exactly those the decide path produces.
  const documents = records.map((r) => {
    const parsed = parseStreamRecord(r.record, { fields });
    if (!parsed.ok) throw new Error(parsed.reason);
    const decision = decideExports(parsed.change, config)[0];
    return decision?.export === true ? decision.document : null;
  });
  const exported = documents.filter((d) => d !== null);

  // Warm up both paths so that the JIT has compiled them before timing.
  for (let i = 0; i < 3; i++) {
    baselinePass(records, documents);
    decidePass(records, config, fields);
    decidePass(records, config);
  }

  const ratios: number[] = [];
  const ratiosNoProjection: number[] = [];
  const decideTimes: number[] = [];
  const baselineTimes: number[] = [];
  const parseTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so neither path always runs right after a GC-heavy pass.
    const first = round % 2 === 0;
    let b = 0;
    let d = 0;
    if (first) {
      b = timeSync(() => baselinePass(records, documents));
      d = timeSync(() => decidePass(records, config, fields));
    } else {
      d = timeSync(() => decidePass(records, config, fields));
      b = timeSync(() => baselinePass(records, documents));
    }
    const full = timeSync(() => decidePass(records, config));
    const parse = timeSync(() => {
      for (const r of records) sink += parseStreamRecord(r.record, { fields }).ok ? 1 : 0;
    });
    ratios.push(d / b);
    ratiosNoProjection.push(full / b);
    decideTimes.push(d);
    baselineTimes.push(b);
    parseTimes.push(parse);
  }

  const perKind: Record<string, number> = {};
  for (const kind of CHANGE_KINDS) {
    const subset = records.filter((r) => r.kind === kind);
    const subsetDocs = subset.map((r) => documents[records.indexOf(r)] ?? null);
    const kr: number[] = [];
    for (let i = 0; i < 7; i++) {
      const b = timeSync(() => baselinePass(subset, subsetDocs));
      const d = timeSync(() => decidePass(subset, config, fields));
      kr.push(d / b);
    }
    perKind[kind] = round(median(kr), 3);
  }

  const medDecide = median(decideTimes);
  const medBaseline = median(baselineTimes);
  const medParse = median(parseTimes);
  const first = records[0] as BenchRecord;
  return {
    perSecond: Math.round((count / medDecide) * 1000),
    ratioToBaseline: round(median(ratios), 3),
    ratioToBaselineWithoutProjection: round(median(ratiosNoProjection), 3),
    baselinePerSecond: Math.round((count / medBaseline) * 1000),
    microsPerRecord: {
      decidePath: round((medDecide * 1000) / count, 2),
      baseline: round((medBaseline * 1000) / count, 2),
      parse: round((medParse * 1000) / count, 2),
      decide: round(((medDecide - medParse) * 1000) / count, 2),
    },
    records: count,
    rounds,
    exportedShare: round(exported.length / count, 3),
    profileBytes: median(records.map((r) => JSON.stringify(r.newImage).length)),
    streamRecordBytes: JSON.stringify({
      o: first.record.dynamodb?.OldImage,
      n: first.record.dynamodb?.NewImage,
    }).length,
    documentBytes: median(exported.map((d) => JSON.stringify(d).length)),
    perKind,
  };
}

/** `sink` keeps the optimiser from removing the measured work; exposed for the same reason. */
export function benchSink(): number {
  return sink;
}
