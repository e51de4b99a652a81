/**
 * Messages the CLI holds (invisible) while it reads a queue, kept held until it lets them go.
 *
 * A receive hides a message for its visibility timeout; a read that outlasts it — a large DLQ, a
 * paced redrive — would see the first messages again and take that for the end of the queue, and a
 * message of another destination would come back while the selective redrive still works. So every
 * held message's visibility is extended (ChangeMessageVisibility, which does not count as a receive)
 * well before it runs out, until it is released (visibility 0) or deleted.
 */
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Options of {@link HeldMessages}. */
export interface HeldMessagesOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The visibility timeout the messages were received with, seconds. */
  readonly holdSeconds: number;
  /** How often holds are renewed. @default a third of the hold */
  readonly renewEveryMs?: number;
  /** Told when a renewal failed (the message may come back before the read ends). */
  readonly onRenewFailed?: (count: number) => void;
}

async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  handles: readonly string[],
  seconds: number,
): Promise<number> {
  let failed = 0;
  for (let i = 0; i < handles.length; i += 10) {
    const chunk = handles.slice(i, i + 10);
    try {
      const { Failed = [] } = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: seconds })),
        }),
      );
      failed += Failed.length;
    } catch {
      failed += chunk.length;
    }
  }
  return failed;
}

/** The receipt handles held on one queue, renewed until released. */
export class HeldMessages {
  private readonly handles = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: HeldMessagesOptions) {
    const every = options.renewEveryMs ?? Math.max(200, (options.holdSeconds * 1000) / 3);
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew());
    }, every);
    // A hold never keeps the process alive by itself.
    this.timer.unref();
  }

  /** Held messages now. */
  get size(): number {
    return this.handles.size;
  }

  /** Holds a received message. */
  add(handle: string | undefined): void {
    if (handle !== undefined && handle.length > 0 && !this.stopped) this.handles.add(handle);
  }

  /** Forgets a message that was deleted (or is released by the caller). */
  forget(handle: string | undefined): void {
    if (handle !== undefined) this.handles.delete(handle);
  }

  private async renew(): Promise<void> {
    if (this.stopped || this.handles.size === 0) return;
    const failed = await changeVisibility(
      this.options.sqs,
      this.options.queueUrl,
      [...this.handles],
      this.options.holdSeconds,
    );
    if (failed > 0) this.options.onRenewFailed?.(failed);
  }

  /**
   * Stops renewing and makes every held message visible again at once. Best effort: a failed
   * release only delays a message until its hold runs out.
   */
  async releaseAll(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.renewing;
    const handles = [...this.handles];
    this.handles.clear();
    await changeVisibility(this.options.sqs, this.options.queueUrl, handles, 0);
  }
}
