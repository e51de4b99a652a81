/**
 * What the console learns from the local stack's handler invocations: wrappers around the decide and
 * export handlers that read the events they are invoked with (never changing them or the handlers'
 * answers) and keep ids, reasons and times — never a document.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { parseExportMessageBody } from '../../core/export-message.js';
import type { HandlerWrapper } from '../../local/stack.js';
import type { ObservedEvent } from './funnel-source.js';

/** What the console knows of an export it saw queued, to label the record it becomes. */
export interface SeenExport {
  readonly exportId: string;
  readonly reasons: readonly string[];
  /** When the decide function queued it (epoch ms). */
  readonly queuedAt: number;
  /** False once it was received again (retried or redriven): its latency is not a first attempt's. */
  readonly firstAttempt: boolean;
}

/** Exports remembered for labelling records; the oldest are forgotten first. */
const MAX_REMEMBERED = 50_000;

/** The join key of an export and the record it becomes: the record's data is the export's document text. */
function recordKey(destinationId: string, profileId: string, documentText: string): string {
  return createHash('sha256').update(`${destinationId}\u0000${profileId}\u0000${documentText}`).digest('hex');
}

/** Remembers ids up to a bound, forgetting the oldest. */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(id: string): boolean {
    return this.items.has(id);
  }
  /** Adds `id`; true when it was new. */
  add(id: string): boolean {
    if (this.items.has(id)) return false;
    this.items.add(id);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
    return true;
  }
}

/**
 * Observes the pipeline through its handlers (pass {@link wrapHandlers} to `startLocalStack`), and
 * reports what it sees as funnel events.
 */
export class PipelineObserver {
  private readonly exports = new Map<string, SeenExport & { readonly destinationId: string }>();
  private readonly byExportId = new Map<string, string>();
  private readonly streamRecords = new BoundedSet(MAX_REMEMBERED);
  private readonly deadLetters = new BoundedSet(MAX_REMEMBERED);
  private readonly deadLetteredExports = new BoundedSet(MAX_REMEMBERED);
  private readonly redriven = new BoundedSet(MAX_REMEMBERED);

  constructor(
    private readonly onEvent: (event: ObservedEvent) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Handler wrappers for `startLocalStack({ wrapHandlers })`. */
  readonly wrapHandlers: {
    readonly decide: HandlerWrapper<DynamoDBStreamEvent>;
    readonly export: HandlerWrapper<SQSEvent>;
  } = {
    decide: (handler) => (event, context) => {
      this.sawStreamRecords(event);
      return handler(event, context);
    },
    export: (handler) => (event, context) => {
      this.sawExportMessages(event);
      return handler(event, context);
    },
  };

  private sawStreamRecords(event: DynamoDBStreamEvent): void {
    let fresh = 0;
    for (const record of event.Records ?? []) {
      if (record.eventID !== undefined && this.streamRecords.add(record.eventID)) fresh += 1;
    }
    if (fresh > 0) this.onEvent({ t: this.now(), kind: 'evaluated', count: fresh });
  }

  private sawExportMessages(event: SQSEvent): void {
    const t = this.now();
    for (const record of event.Records ?? []) {
      const parsed = parseExportMessageBody(record.body ?? '');
      if (!parsed.ok) continue;
      const m = parsed.message;
      const known = this.byExportId.get(m.exportId);
      if (known === undefined) {
        this.remember(m.destinationId, m.profileId, m.documentJson, {
          exportId: m.exportId,
          reasons: m.reasons,
          queuedAt: m.queuedAt,
          firstAttempt: true,
        });
        this.onEvent({
          t,
          kind: 'exported',
          destination: m.destinationId,
          reason: m.reasons[0] ?? 'unknown',
        });
        continue;
      }
      const seen = this.exports.get(known);
      if (seen !== undefined) this.exports.set(known, { ...seen, firstAttempt: false });
      if (this.deadLetteredExports.has(m.exportId)) {
        if (this.redriven.add(m.exportId))
          this.onEvent({ t, kind: 'redriven', destination: m.destinationId });
      } else this.onEvent({ t, kind: 'retried', destination: m.destinationId });
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

  /** Takes note of the dead-letter queue's messages (from a listing): each counts once. */
  sawDeadLetters(
    letters: readonly {
      readonly messageId: string;
      readonly exportId: string | undefined;
      readonly destinationId: string | undefined;
    }[],
  ): void {
    const t = this.now();
    for (const letter of letters) {
      if (!this.deadLetters.add(letter.messageId)) continue;
      if (letter.exportId !== undefined) this.deadLetteredExports.add(letter.exportId);
      if (letter.destinationId !== undefined)
        this.onEvent({ t, kind: 'deadLettered', destination: letter.destinationId });
    }
  }
}
