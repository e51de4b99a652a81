import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressLine, renderProgress } from '../../cli/progress.js';
import { checkpointKey } from '../../lambdas/backfill/checkpoints.js';
import { ReadPacer } from '../../lambdas/backfill/read-pacer.js';

describe('renderProgress()', () => {
  it('shows a bar, counts, rate and ETA against the approximate total', () => {
    const line = renderProgress({ done: 250, total: 1_000, doneSinceStart: 250 }, 10_000);

    expect(line).toBe('[######..................]  25%  250/~1000  25.0/s  ETA 30s');
  });

  it('never passes 100 % when ApproximateItemCount lags behind', () => {
    const line = renderProgress(
      { done: 1_200, total: 1_000, doneSinceStart: 1_200, detail: 'queued 3' },
      2_000,
    );

    expect(line).toBe('[########################] 100%  1200/~1000  600/s  ETA 0s  queued 3');
  });

  it('shows counts and elapsed time without a total', () => {
    expect(renderProgress({ done: 5, total: undefined, doneSinceStart: 5 }, 61_000)).toBe(
      '5 items  0.1/s  elapsed 1m01s',
    );
  });

  it('rates only what this process did on a resumed run', () => {
    const line = renderProgress({ done: 900, total: 1_000, doneSinceStart: 100 }, 10_000);

    expect(line).toContain('10.0/s  ETA 10s');
  });
});

describe('formatDuration()', () => {
  it.each([
    [0, '0s'],
    [59_400, '59s'],
    [61_000, '1m01s'],
    [3_720_000, '1h02m'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('ProgressLine', () => {
  it('redraws in place on a terminal and logs throttled lines elsewhere', () => {
    let t = 0;
    const tty: string[] = [];
    const log: string[] = [];
    const onTty = new ProgressLine({ write: (s: string) => tty.push(s), isTTY: true }, 0, () => t);
    const onLog = new ProgressLine({ write: (s: string) => log.push(s), isTTY: false }, 0, () => t, 5_000);

    for (t = 1_000; t <= 11_000; t += 1_000) {
      onTty.update({ done: t, total: undefined, doneSinceStart: t });
      onLog.update({ done: t, total: undefined, doneSinceStart: t });
    }
    onTty.finish();

    expect(tty).toHaveLength(12);
    expect(tty[0]?.startsWith('\r')).toBe(true);
    expect(tty.at(-1)).toBe('\n');
    expect(log).toHaveLength(3);
    expect(log.every((l) => l.endsWith('\n'))).toBe(true);
  });
});

describe('ReadPacer', () => {
  it('spaces reads so consumption stays at the rate, after one second of burst', () => {
    let t = 0;
    const pacer = new ReadPacer(100, () => t);

    pacer.consumed(50);
    expect(pacer.waitMs()).toBe(0);
    pacer.consumed(100);
    expect(pacer.waitMs()).toBe(500);
    t = 500;
    expect(pacer.waitMs()).toBe(0);
  });

  it('does not bank unused capacity beyond the burst', () => {
    let t = 0;
    const pacer = new ReadPacer(10, () => t);

    t = 60_000;
    pacer.consumed(20);

    expect(pacer.waitMs()).toBe(1_000);
  });
});

describe('checkpointKey()', () => {
  it('names the destination and the sorted, distinct segments', () => {
    expect(checkpointKey('marketing', ['b', 'a', 'b'])).toBe('backfill#marketing#a,b');
  });
});
