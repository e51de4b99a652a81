/**
 * A progress line on stderr: a bar, counts, rate and ETA. Redrawn in place on a terminal; on a
 * pipe or a log file, one line at most every `logEveryMs`.
 */

/** Where progress goes; `isTTY` decides between redrawing and logging lines. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** One progress sample. */
export interface ProgressSample {
  readonly done: number;
  /** Unknown or 0: no bar and no ETA. */
  readonly total: number | undefined;
  /** Extra text after the counts, e.g. "queued 120". */
  readonly detail?: string;
}

/** Formats a duration as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1_000));
  if (s >= 3_600) return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * Renders one progress line. The rate is items per second since `startedAt` (counting only
 * `doneSinceStart`, the items of this process); the ETA divides what is left by that rate.
 */
export function renderProgress(
  sample: ProgressSample & { readonly doneSinceStart: number },
  elapsedMs: number,
  width = 24,
): string {
  const rate = elapsedMs > 0 ? (sample.doneSinceStart * 1_000) / elapsedMs : 0;
  const rateText = `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`;
  const detail = sample.detail === undefined ? '' : `  ${sample.detail}`;
  if (sample.total === undefined || sample.total <= 0) {
    return `${sample.done} items  ${rateText}${detail}  elapsed ${formatDuration(elapsedMs)}`;
  }
  // ApproximateItemCount lags: never show more than 100 %.
  const ratio = Math.min(1, sample.done / sample.total);
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const left = Math.max(0, sample.total - sample.done);
  const eta = rate > 0 ? formatDuration((left / rate) * 1_000) : '?';
  return `${bar} ${(ratio * 100).toFixed(0).padStart(3)}%  ${sample.done}/~${sample.total}  ${rateText}  ETA ${eta}${detail}`;
}

/** A progress line bound to a sink. */
export class ProgressLine {
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private drawn = false;
  constructor(
    private readonly sink: ProgressSink,
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
    private readonly logEveryMs = 5_000,
  ) {}

  /** Shows a sample (redraws on a terminal; throttled lines elsewhere). */
  update(sample: ProgressSample & { readonly doneSinceStart: number }, force = false): void {
    const t = this.now();
    const line = renderProgress(sample, t - this.startedAt);
    if (this.sink.isTTY === true) {
      this.sink.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else if (force || t - this.lastLogAt >= this.logEveryMs) {
      this.sink.write(`${line}\n`);
      this.lastLogAt = t;
    }
  }

  /** Ends the redrawn line so that the next output starts on a new line. */
  finish(): void {
    if (this.drawn) this.sink.write('\n');
    this.drawn = false;
  }
}
