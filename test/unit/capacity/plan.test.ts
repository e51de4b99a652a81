import { describe, expect, it } from 'vitest';
import { planCapacity } from '../../../core/capacity/plan.js';

describe('planCapacity()', () => {
  it('names no bottleneck and no backlog at a rate its own settings carry', () => {
    const plan = planCapacity({ rate: 1_000, documentBytes: 6_000, destinations: 1 });
    expect(plan.bottleneck).toBe('none');
    expect(plan.backlog).toEqual({ growthPerSecond: 0, minutesToPromise: null });
    expect(plan.exportsDeliveredPerSecond).toBeGreaterThan(0.95 * plan.exportsOfferedPerSecond);
  });

  it('reports what an overloaded rate delivers, how fast its backlog grows and when the promise breaks', () => {
    // 200,000 exports/s need ~3,100 export invocations; maxConcurrency stops at 1,000.
    const plan = planCapacity({ rate: 200_000, documentBytes: 6_000, destinations: 1 });
    expect(plan.bottleneck).toBe('export-concurrency');
    expect(plan.exportsDeliveredPerSecond).toBeGreaterThan(0);
    expect(plan.exportsDeliveredPerSecond).toBeLessThan(0.5 * plan.exportsOfferedPerSecond);
    expect(plan.backlog.growthPerSecond).toBeCloseTo(
      plan.exportsOfferedPerSecond - plan.exportsDeliveredPerSecond,
      6,
    );
    expect(plan.backlog.minutesToPromise).toBeCloseTo(
      (10 * plan.exportsOfferedPerSecond) / plan.backlog.growthPerSecond,
      6,
    );
    expect(plan.bottlenecks.join('\n')).toMatch(
      /modelled: \d+ of 200000 writes\/s delivered .* the backlog grows by \d+ exports\/s and the oldest waiting export passes the 10-minute promise after ~\d+ min/,
    );
  });
});
