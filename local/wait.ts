import { setTimeout as sleep } from 'node:timers/promises';
import { WaitTimeoutError } from './errors.js';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** Pause between two checks. @default 50 */
  readonly intervalMs?: number;
  /** Stops waiting early (the condition is then reported as not met). */
  readonly signal?: AbortSignal;
}

/**
 * Re-checks `condition` until it returns a value other than `undefined`/`false` and returns that
 * value. A check that throws counts as "not yet" (an emulator still starting refuses connections).
 * @throws WaitTimeoutError naming `what`, with the last check's error as cause.
 */
export async function waitFor<T>(
  what: string,
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted) throw new WaitTimeoutError(`${what}: stopped while waiting`);
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `${what}: not reached within ${options.timeoutMs ?? 30_000} ms`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}
