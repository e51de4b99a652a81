import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshallImage } from '../../core/attribute-value.js';
import type { CompiledConfig, CompiledDestination } from '../../core/compiled-config.js';
import { decideBackfill } from '../../core/decide.js';
import { backfillSourceEventId, buildExportMessage, type QueuedExport } from '../../core/export-message.js';
import { safeParseStoredProfile } from '../../core/profile.js';

/** What one page of the scan comes to. */
export interface BackfillPagePlan {
  /** The exports to queue, in scan order. */
  readonly exports: readonly QueuedExport[];
  /**
   * Items that are not valid profiles, or whose membership of a mapped segment is unclear (a status
   * the page does not name): counted, not exported.
   */
  readonly invalid: number;
  /** Profiles whose export document is too large for a Kinesis record (counted, not exported). */
  readonly tooLarge: number;
}

/** The run a page belongs to. */
export interface BackfillPageContext {
  readonly runId: string;
  readonly destination: CompiledDestination;
  /** The segments newly mapped to the destination. */
  readonly segmentIds: ReadonlySet<string>;
  readonly config: CompiledConfig;
  /** When the page was read: the exports' source time. */
  readonly scanTime: number;
  readonly now: () => number;
}

/**
 * Decides one page of scanned items with `decideBackfill`: each member of a backfilled segment is
 * exported once with reason `backfill`, under the run's source event id (so a page queued again
 * after a crash has the same deduplication ids). Pure: no I/O.
 */
export function planBackfillPage(
  items: readonly Record<string, AttributeValue>[],
  context: BackfillPageContext,
): BackfillPagePlan {
  const exports: QueuedExport[] = [];
  let invalid = 0;
  let tooLarge = 0;
  for (const item of items) {
    // The same value mapping as the stream's images (exact numbers, sorted sets, base64 binaries),
    // so a backfilled document is the one a live change of the same item would export.
    const mapped = unmarshallImage(item, { fields: context.config.fieldsRead });
    if (!mapped.ok) {
      invalid += 1;
      continue;
    }
    const parsed = safeParseStoredProfile(mapped.value);
    if (!parsed.ok) {
      invalid += 1;
      continue;
    }
    const decision = decideBackfill(parsed.value, context.destination, context.segmentIds, context.config);
    if (decision === null) continue;
    if (!decision.export) {
      // An unclear membership (a status the page does not name) is counted with the invalid items.
      if (decision.rejection?.code === 'PAYLOAD_TOO_LARGE') tooLarge += 1;
      else if (decision.rejection !== undefined) invalid += 1;
      continue;
    }
    const profileId = parsed.value.profileId;
    exports.push(
      buildExportMessage(decision, {
        sourceEventId: backfillSourceEventId(context.runId, profileId),
        profileId,
        sourceTime: context.scanTime,
        queuedAt: context.now(),
      }),
    );
  }
  return { exports, invalid, tooLarge };
}
