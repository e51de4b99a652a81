/** The options, the plan and the result of a redrive, shared by the move task and the selective move. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SampledExport } from './ledger-rule.js';

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  readonly exportQueueUrl: string;
  /** Messages per second (StartMessageMoveTask's MaxNumberOfMessagesPerSecond, 1–500). @default - SQS's own pace */
  readonly rate?: number;
  /** Count what would move and run the checks; move nothing. */
  readonly dryRun?: boolean;
  /** Move only this destination's exports (see `move-selected.ts`). */
  readonly destinationId?: string;
  /** Move dead letters marked `Retryable=false` (and bodies that are not export messages) too. @default false */
  readonly includeNonRetryable?: boolean;
  /**
   * Called with the plan once the DLQ was read, before anything moves (and on a dry run): the
   * CLI's checks (ledger, streams) throw here to refuse.
   */
  readonly checkPlan?: (plan: RedrivePlan) => Promise<void>;
  /** Called after the checks, when something will move: the confirmation; throws to refuse. */
  readonly confirm?: (plan: RedrivePlan) => Promise<void>;
  /** How often the move task is polled. @default 1000 */
  readonly pollIntervalMs?: number;
  /** How long the final check waits for messages in flight to come back. @default 5000 */
  readonly settleMs?: number;
  /** Called with progress as the move goes on (for stderr). */
  readonly onProgress?: (progress: { moved: number; toMove: number }) => void;
}

/** What a redrive will move, from one read of the whole DLQ. */
export interface RedrivePlan {
  readonly dlqArn: string;
  readonly exportQueueArn: string;
  /** Dead letters read (visible when the read ran). */
  readonly read: number;
  /** Messages in flight when the read began (another reader held them): not read, not planned. */
  readonly inFlight: number;
  /** Dead letters that will move, by destination (`?` for a body that names none). */
  readonly selectedByDestination: ReadonlyMap<string, number>;
  readonly selected: number;
  /** Dead letters left in the DLQ because retrying cannot help, by error code. */
  readonly skippedNonRetryable: ReadonlyMap<string, number>;
  /** The export messages the ledger check samples. */
  readonly sample: readonly SampledExport[];
  readonly mechanism: 'move-task' | 'selective';
}

/** What a redrive did. */
export interface RedriveResult {
  /** `move-task`: SQS's StartMessageMoveTask; `selective`: send + delete by the CLI. */
  readonly mechanism: 'move-task' | 'selective';
  readonly dryRun: boolean;
  /** Dead letters planned to move. */
  readonly toMove: number;
  readonly moved: number;
  /** Planned dead letters still in the DLQ at the end (seen by the final read). */
  readonly failed: number;
  /** Dead letters left behind because retrying cannot help (`--include-non-retryable` moves them). */
  readonly skipped: number;
  /** Messages in flight at the start or at the end: held by another reader, not accounted for. */
  readonly inFlight: number;
  /**
   * COMPLETED — every planned dead letter left the DLQ and none was in flight; INCOMPLETE — some are
   * still there or in flight (`failureReason` says why); FAILED / CANCELLED — the move task's own
   * end; EMPTY — nothing to move; DRY_RUN.
   */
  readonly status: 'COMPLETED' | 'INCOMPLETE' | 'FAILED' | 'CANCELLED' | 'EMPTY' | 'DRY_RUN';
  readonly failureReason?: string;
}
