/**
 * The local runtime's CloudWatch: the handlers' metric output collected instead of printed.
 *
 * On Lambda, Powertools prints each metrics document (EMF JSON) to stdout and CloudWatch Logs turns
 * it into metrics. Locally, {@link captureMetricOutput} takes those lines off `process.stdout` —
 * only lines printed inside an invocation (local/event-sources/invoke.ts, `invocationScope`), so
 * nothing else the process prints is touched, and the handlers do not know — and keeps them in a
 * {@link MetricsStore}. `kinesis-destination status` (through `local up`'s loopback endpoint,
 * local/metrics-endpoint.ts), the local console and `npm start` read the funnel from it with the same
 * function, {@link MetricsStore.funnel}, over core/funnel-emf.ts's arithmetic.
 */

import type { FunnelView } from '../core/funnel.js';
import { asEmfDocument, type EmfDocument, funnelFromEmf } from '../core/funnel-emf.js';
import { invocationScope } from './event-sources/invoke.js';

/** At most this many documents are kept, the oldest dropped first: a local session, not a history. */
export const MAX_STORED_DOCUMENTS = 200_000;

/** A collected document and the function that printed it. */
export interface StoredMetrics {
  readonly functionName: string;
  readonly document: EmfDocument;
}

/** What {@link MetricsStore.funnel} reports on. */
export interface LocalFunnelQuery {
  /** The window: the last `sinceMs` milliseconds. */
  readonly sinceMs: number;
  /** Only this destination. @default - every destination of the stack's config */
  readonly destination?: string;
}

/** The metrics documents the handlers printed, in arrival order. */
export class MetricsStore {
  private readonly stored: StoredMetrics[] = [];

  /**
   * @param destinationIds the config's destinations: the funnel's rows.
   * @param now the clock of the window.
   */
  constructor(
    private readonly destinationIds: () => readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps a document. */
  add(functionName: string, document: EmfDocument): void {
    this.stored.push({ functionName, document });
    if (this.stored.length > MAX_STORED_DOCUMENTS)
      this.stored.splice(0, this.stored.length - MAX_STORED_DOCUMENTS);
  }

  /** Every document kept, oldest first. */
  documents(): readonly StoredMetrics[] {
    return this.stored;
  }

  /** The funnel of each destination over the last `sinceMs` (the `status --json` report and trends). */
  funnel(query: LocalFunnelQuery): FunnelView {
    const to = this.now() + 1;
    const destinations = this.destinationIds().filter(
      (id) => query.destination === undefined || id === query.destination,
    );
    return funnelFromEmf(
      this.stored.map((s) => s.document),
      { window: { from: to - query.sinceMs, to }, destinations },
    );
  }
}

/**
 * Takes the EMF lines the handlers print off `process.stdout` into `store` (every other output goes
 * through unchanged). Returns the function that puts `process.stdout.write` back.
 */
export function captureMetricOutput(store: MetricsStore): () => void {
  const original = process.stdout.write;
  const write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const scope = invocationScope.getStore();
    if (scope !== undefined && typeof chunk === 'string' && chunk.startsWith('{"_aws":')) {
      const lines = chunk.split('\n').filter((l) => l.length > 0);
      const documents = lines.map((line) => {
        try {
          return asEmfDocument(JSON.parse(line));
        } catch {
          return undefined;
        }
      });
      if (documents.every((d) => d !== undefined)) {
        for (const d of documents) store.add(scope.functionName, d as EmfDocument);
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  };
  process.stdout.write = write as typeof process.stdout.write;
  return () => {
    if (process.stdout.write === (write as typeof process.stdout.write)) process.stdout.write = original;
  };
}
