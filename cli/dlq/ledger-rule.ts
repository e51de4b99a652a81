/**
 * Whether the state table a redrive would deliver into is the ledger that knew these exports (pure).
 *
 * The export function puts an export unless the delivery ledger says it is stale; an empty ledger
 * says "put". After a destroy and a redeploy the stack has a new, empty state table, and redriving
 * the old dead letters into it would write older exports over newer ones already delivered. The
 * ledger that knew them is recognised by two facts:
 *
 * - a failure record (`failure#<exportId>`, core/state-records.ts): the export function writes one
 *   before it dead-letters an export, and keeps it as long as the message can be in the DLQ — so a
 *   table holding the record of a dead letter is the table of the pipeline that failed it;
 * - the table's creation time: a dead letter queued before the table existed cannot be known by it.
 *   (A table adopted with `existingStateTable` or `cdk import` keeps its creation time.)
 *
 * The rule, over a sample of the dead letters to move (every export message read, up to
 * {@link LEDGER_SAMPLE}): when the creation time is known, the table does not know these exports if
 * any sampled one without a failure record was queued before the table was created; when it is not
 * known (no dynamodb:DescribeTable), if none of the sampled exports has a failure record. Exports
 * without a failure record in a table older than them — the function crashed or the table was
 * unreachable on every attempt — pass: the ledger is the right one, it merely lacks their failure.
 *
 * No override: when the ledger does not know them, no flag can make the redrive safe — only adopting
 * the old table can (or a backfill, which re-exports current state).
 */

/** At most this many dead letters are looked up (one BatchGetItem round of 100 keys). */
export const LEDGER_SAMPLE = 100;

/** One sampled dead letter: an export message's id and when it was first queued (epoch ms). */
export interface SampledExport {
  readonly exportId: string;
  readonly queuedAt: number;
}

/** What the rule weighs. */
export interface LedgerEvidence {
  readonly sampled: readonly SampledExport[];
  /** Export ids of the sample with a failure record in the state table. */
  readonly recorded: ReadonlySet<string>;
  /** The state table's CreationDateTime (epoch ms); undefined when it could not be read. */
  readonly tableCreatedAt: number | undefined;
}

/** The verdict. */
export interface LedgerJudgement {
  /** `unknown`: this table is not the ledger of these exports — the redrive is refused. */
  readonly verdict: 'known' | 'unknown' | 'nothing-to-judge';
  readonly sampled: number;
  readonly recorded: number;
  /** Sampled exports without a failure record queued before the table was created. */
  readonly predating: number;
  /** One sentence for the operator. */
  readonly reason: string;
}

/** Judges the sample (see the module comment). */
export function judgeLedger(evidence: LedgerEvidence): LedgerJudgement {
  const sampled = evidence.sampled.length;
  const recorded = evidence.sampled.filter((s) => evidence.recorded.has(s.exportId)).length;
  const created = evidence.tableCreatedAt;
  const predating =
    created === undefined
      ? 0
      : evidence.sampled.filter((s) => !evidence.recorded.has(s.exportId) && s.queuedAt < created).length;
  const base = { sampled, recorded, predating };
  if (sampled === 0)
    return {
      ...base,
      verdict: 'nothing-to-judge',
      reason: 'no export message to judge among the dead letters',
    };
  if (created !== undefined) {
    if (predating > 0) {
      return {
        ...base,
        verdict: 'unknown',
        reason: `${predating} of ${sampled} sampled dead letters were queued before the state table was created (${new Date(created).toISOString()}) and it holds no failure record of them`,
      };
    }
    return {
      ...base,
      verdict: 'known',
      reason: `${recorded} of ${sampled} sampled dead letters have their failure record in the state table, and none predates it`,
    };
  }
  if (recorded === 0) {
    return {
      ...base,
      verdict: 'unknown',
      reason: `none of ${sampled} sampled dead letters has a failure record in the state table (its creation time could not be read)`,
    };
  }
  return {
    ...base,
    verdict: 'known',
    reason: `${recorded} of ${sampled} sampled dead letters have their failure record in the state table`,
  };
}

/** The refusal for an `unknown` verdict: what is wrong and the ways out. */
export function emptyLedgerRefusal(judgement: LedgerJudgement, stateTableName: string): string {
  return `refusing to redrive: state table "${stateTableName}" is not the delivery ledger of these exports — ${judgement.reason}. This happens after a destroy and a redeploy: the new table is empty, and an empty ledger puts every export, so older exports would overwrite newer ones already delivered. Nothing was moved. Adopt the old state table (the construct's existingStateTable prop, or \`cdk import\` of the retained table into the stack) and redrive again; if the old table is gone, re-export the current state instead (\`backfill --destination ID\`: current members only, exits are not re-exported) and purge the dead letters`;
}
