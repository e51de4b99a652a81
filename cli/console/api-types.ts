/**
 * The local console's HTTP API: the shapes the server (cli/console/server.ts) sends and the page
 * (cli/console/ui/) reads. Types only — the page imports them with `import type`, so nothing of the
 * server reaches the browser bundle.
 */
import type { FunnelReport } from '../../core/funnel-types.js';

// The funnel's shapes are core's (one type for `status --json` and the page).
export type {
  CountsByReason,
  FunnelDestination,
  FunnelReport,
  LatencySummary,
} from '../../core/funnel-types.js';

/** One sample of the trend chart: cumulative counts per destination at `t` (epoch ms). */
export interface TrendPoint {
  readonly t: number;
  readonly destinations: Readonly<
    Record<string, { readonly exported: number; readonly delivered: number; readonly deadLettered: number }>
  >;
}

/** A record read from a destination stream, without its document (fetched on click). */
export interface RecordSummary {
  /** Sequence number within the console's feed of this destination (the key to fetch the document). */
  readonly seq: number;
  readonly profileId: string;
  /** Why it was exported, when the console saw the export message; empty when it did not. */
  readonly reasons: readonly string[];
  /** When the console read it from the stream (epoch ms). */
  readonly seenAt: number;
  readonly bytes: number;
}

/** A destination and the records the console read from its stream, newest first. */
export interface DestinationFeed {
  readonly id: string;
  readonly streamName: string;
  /** Records read since the console started (the list below keeps the newest only). */
  readonly total: number;
  readonly records: readonly RecordSummary[];
  /** Why the stream cannot be read right now (e.g. it was deleted), if so. */
  readonly problem?: string;
}

/** One dead-lettered export as the console lists it: `dlq list --json`'s row, never the document. */
export interface DeadLetterView {
  readonly messageId: string;
  readonly exportId: string | undefined;
  readonly profileId: string | undefined;
  readonly destinationId: string | undefined;
  readonly reasons: readonly string[];
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number | undefined;
  readonly firstFailureAt: string | undefined;
  readonly lastFailureAt: string | undefined;
  readonly movedBy: 'function' | 'queue';
}

/** The dead-letter queue as last listed. */
export interface DeadLetterQueueView {
  /** Messages in the queue (visible + in flight) at the last check. */
  readonly depth: number;
  readonly rows: readonly DeadLetterView[];
  readonly truncated: boolean;
  /** When the rows were read (epoch ms); 0 before the first listing. */
  readonly listedAt: number;
  readonly problem?: string;
}

/** `GET /api/overview`: everything the page polls. */
export interface ConsoleOverview {
  readonly now: number;
  readonly funnel: FunnelReport;
  /** Where the funnel comes from (e.g. "observed by the console"). */
  readonly funnelSource: string;
  readonly trend: readonly TrendPoint[];
  readonly feeds: readonly DestinationFeed[];
  readonly dlq: DeadLetterQueueView;
}

/** `GET /api/records/<destination>/<seq>`: one record's document, exact (numbers keep every digit). */
export interface RecordDocument {
  readonly profileId: string;
  readonly documentText: string;
}

/** `POST /api/dlq/redrive` body. */
export interface RedriveRequest {
  /** Only this destination's exports (the selective move); all when absent (SQS's move task). */
  readonly destination?: string;
  /** Count what would move; move nothing (the page's confirm dialog shows the count). */
  readonly dryRun: boolean;
}

/**
 * `POST /api/dlq/redrive` answer: what `dlq redrive` prints (cli/dlq/redrive-types.ts's
 * `RedriveResult`, spelled out so the page's bundle imports nothing of the server).
 */
export interface RedriveResponse {
  readonly mechanism: 'move-task' | 'selective';
  readonly dryRun: boolean;
  readonly toMove: number;
  readonly moved: number;
  readonly failed: number;
  readonly status: string;
  readonly failureReason?: string;
}

/** `POST /api/evaluate` body: the old and new image as JSON texts (empty = absent). */
export interface EvaluateRequest {
  readonly oldImage: string;
  readonly newImage: string;
}

/** One destination of the evaluate answer; the payload as exact JSON text. */
export interface EvaluatedView {
  readonly id: string;
  readonly export: boolean;
  readonly reasons: readonly string[];
  readonly payloadText: string | null;
  readonly rejection?: { readonly code: string; readonly message: string };
}

/** `POST /api/evaluate` answer. */
export interface EvaluateResponse {
  readonly destinations: readonly EvaluatedView[];
}

/** Any API error: what is wrong and how to fix it. */
export interface ApiError {
  readonly error: string;
}
