/** The options and the result of a redrive, shared by the move task and the selective move. */
import type { SQSClient } from '@aws-sdk/client-sqs';

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  readonly exportQueueUrl: string;
  /** Messages per second (StartMessageMoveTask's MaxNumberOfMessagesPerSecond, 1–500). @default - SQS's own pace */
  readonly rate?: number;
  /** Count what would move; move nothing. */
  readonly dryRun?: boolean;
  /** Move only this destination's exports (see {@link moveSelected}). */
  readonly destinationId?: string;
  /** How often the move task is polled. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Called with progress as the move goes on (for stderr). */
  readonly onProgress?: (progress: { moved: number; toMove: number }) => void;
}

/** What a redrive did. */
export interface RedriveResult {
  /** `move-task`: SQS's StartMessageMoveTask; `selective`: send + delete of one destination's messages. */
  readonly mechanism: 'move-task' | 'selective';
  readonly dryRun: boolean;
  /** Messages to move (approximate for the move task: SQS counts them when the task starts). */
  readonly toMove: number;
  readonly moved: number;
  readonly failed: number;
  /** COMPLETED, FAILED, CANCELLED (move task) or COMPLETED / PARTIAL (selective). */
  readonly status: string;
  readonly failureReason?: string;
}
