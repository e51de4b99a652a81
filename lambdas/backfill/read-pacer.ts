/** Resolves after `ms`, or at once when `signal` aborts. */
const abortableSleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Paces reads to `unitsPerSecond`, shared by all scan segments: each page's consumed capacity
 * pushes the next permitted read further out. One second of burst is allowed, and a page's cost is
 * known only after it was read, so at the start up to one page per scan segment goes out at once.
 */
export class ReadPacer {
  /** When the reads so far would have finished at the permitted rate ("theoretical arrival time"). */
  private availableAt: number;
  constructor(
    readonly unitsPerSecond: number,
    private readonly now: () => number,
    private readonly burstMs = 1_000,
  ) {
    this.availableAt = now() - burstMs;
  }
  /** Milliseconds until the next read is permitted (0 when it is). */
  waitMs(): number {
    return Math.max(0, this.availableAt - this.now());
  }
  /** Waits until a read is permitted (returns early when `signal` aborts). */
  async beforeRead(signal?: AbortSignal): Promise<void> {
    await abortableSleep(this.waitMs(), signal);
  }
  /** Records the read units a page consumed; idle time banks at most `burstMs` of capacity. */
  consumed(units: number): void {
    this.availableAt =
      Math.max(this.availableAt, this.now() - this.burstMs) + (units * 1_000) / this.unitsPerSecond;
  }
}
