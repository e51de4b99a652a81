/**
 * The dead-letter queue as the console shows and redrives it, through the very functions `dlq list`
 * and `dlq redrive` call (cli/dlq/), so the console has whatever safety checks they have. Listing and
 * redriving never overlap: a listing holds the messages it reads for a moment, which a redrive
 * running at the same time would miss.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { listDeadLetters } from '../dlq/listing.js';
import { queueDepth } from '../dlq/queue.js';
import { redriveDeadLetters } from '../dlq/redrive.js';
import type { DeadLetterQueueView, DeadLetterView, RedriveRequest, RedriveResponse } from './api-types.js';

/** Options of {@link DeadLetterMonitor}. */
export interface DeadLetterMonitorOptions {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly dlqUrl: string;
  readonly exportQueueUrl: string;
  readonly stateTableName: string;
  /** Rows listed at most (`dlq list --limit`). @default 100 */
  readonly limit?: number;
  /** Each listing's rows (the observer counts dead letters from them). */
  readonly onListed?: (rows: readonly DeadLetterView[]) => void;
  /** A listing even when the depth did not change, at most this old. @default 30000 */
  readonly relistAfterMs?: number;
  readonly now?: () => number;
}

/** Keeps the last listing of the dead-letter queue, lists again when its depth changes, redrives. */
export class DeadLetterMonitor {
  private state: DeadLetterQueueView = { depth: 0, rows: [], truncated: false, listedAt: 0 };
  private listedDepth = -1;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: DeadLetterMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The queue as last seen. */
  view(): DeadLetterQueueView {
    return this.state;
  }

  /** Runs `task` after every earlier listing or redrive has ended. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads the queue's depth, and lists it again when the depth changed since the last listing, the
   * listing is older than `relistAfterMs`, or `force`. Never throws: a failure is kept as the view's
   * problem.
   */
  refresh(force = false): Promise<void> {
    return this.exclusive(async () => {
      const { sqs, dlqUrl } = this.options;
      try {
        const { depth } = await queueDepth(sqs, dlqUrl);
        const stale = this.now() - this.state.listedAt > (this.options.relistAfterMs ?? 30_000);
        if (!force && !stale && depth === this.listedDepth) {
          this.state = { ...this.state, depth };
          return;
        }
        const listing = await listDeadLetters({
          sqs,
          dynamo: this.options.dynamo,
          dlqUrl,
          stateTableName: this.options.stateTableName,
          limit: this.options.limit ?? 100,
          // Seconds the listed messages are held while the queue is read; released right after.
          holdSeconds: 10,
        });
        const rows = listing.rows.map(toView);
        this.listedDepth = depth;
        this.state = { depth, rows, truncated: listing.truncated, listedAt: this.now() };
        this.options.onListed?.(rows);
      } catch (error) {
        this.state = {
          ...this.state,
          problem: `the dead-letter queue cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    });
  }

  /**
   * `dlq redrive` from the page: the same function and checks; a dry run first gives the count the
   * page's confirm dialog shows. Lists the queue again afterwards.
   * @throws what `redriveDeadLetters` throws (a move task already running: UsageError).
   */
  async redrive(request: RedriveRequest): Promise<RedriveResponse> {
    const result = await this.exclusive(() =>
      redriveDeadLetters({
        sqs: this.options.sqs,
        dlqUrl: this.options.dlqUrl,
        exportQueueUrl: this.options.exportQueueUrl,
        dryRun: request.dryRun,
        pollIntervalMs: 200,
        ...(request.destination === undefined ? {} : { destinationId: request.destination }),
      }),
    );
    if (!request.dryRun) await this.refresh(true);
    return result;
  }
}

/** A `dlq list` row as the page shows it (the row never holds the document: no `showPayload`). */
function toView(row: DeadLetterView): DeadLetterView {
  return {
    messageId: row.messageId,
    exportId: row.exportId,
    profileId: row.profileId,
    destinationId: row.destinationId,
    reasons: row.reasons,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    attempts: row.attempts,
    firstFailureAt: row.firstFailureAt,
    lastFailureAt: row.lastFailureAt,
    movedBy: row.movedBy,
  };
}
