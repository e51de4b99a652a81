/** Exponential backoff with full jitter: a random delay in [0, min(max, base · 2^attempt)). */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** Resolves after `ms` milliseconds. Injected wherever tests must not wait. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
