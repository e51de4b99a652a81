/**
 * What the console learns from the local stack's handler invocations: wrappers around the decide and
 * export handlers that read the events they are invoked with (never changing them or the handlers'
 * answers) and keep ids, reasons and times — never a document.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { parseExportMessageBody } from '../../core/export-message.js';
import type { HandlerWrapper } from '../../local/stack.js';

/** What the console knows of an export it saw queued, to label the record it becomes. */
export interface SeenExport {
  readonly exportId: string;
  readonly reasons: readonly string[];
  /** When the decide function queued it (epoch ms). */
  readonly queuedAt: number;
}

/** Exports remembered for labelling records; the oldest are forgotten first. */
const MAX_REMEMBERED = 50_000;

/** The join key of an export and the record it becomes: the record's data is the export's document text. */
function recordKey(destinationId: string, profileId: string, documentText: string): string {
  return createHash('sha256').update(`${destinationId}\u0000${profileId}\u0000${documentText}`).digest('hex');
}

/**
 * Observes the pipeline through its export handler (pass {@link wrapHandlers} to `startLocalStack`)
 * to label the records the console reads with their export's reasons. The funnel's counts are the
 * handlers' own metrics (local/metrics-store.ts), not this.
 */
export class PipelineObserver {
  private readonly exports = new Map<string, SeenExport & { readonly destinationId: string }>();
  private readonly byExportId = new Map<string, string>();

  /** Handler wrappers for `startLocalStack({ wrapHandlers })`. */
  readonly wrapHandlers: {
    readonly decide: HandlerWrapper<DynamoDBStreamEvent>;
    readonly export: HandlerWrapper<SQSEvent>;
  } = {
    decide: (handler) => handler,
    export: (handler) => (event, context) => {
      this.sawExportMessages(event);
      return handler(event, context);
    },
  };

  private sawExportMessages(event: SQSEvent): void {
    for (const record of event.Records ?? []) {
      const parsed = parseExportMessageBody(record.body ?? '');
      if (!parsed.ok || this.byExportId.has(parsed.message.exportId)) continue;
      const m = parsed.message;
      this.remember(m.destinationId, m.profileId, m.documentJson, {
        exportId: m.exportId,
        reasons: m.reasons,
        queuedAt: m.queuedAt,
      });
    }
  }

  private remember(destinationId: string, profileId: string, documentText: string, seen: SeenExport): void {
    const key = recordKey(destinationId, profileId, documentText);
    this.exports.set(key, { ...seen, destinationId });
    this.byExportId.set(seen.exportId, key);
    if (this.exports.size > MAX_REMEMBERED) {
      const [oldestKey, oldest] = this.exports.entries().next().value as [string, SeenExport];
      this.exports.delete(oldestKey);
      this.byExportId.delete(oldest.exportId);
    }
  }

  /** The export a destination record came from, when the console saw it queued. */
  exportOf(destinationId: string, profileId: string, documentText: string): SeenExport | undefined {
    return this.exports.get(recordKey(destinationId, profileId, documentText));
  }
}
