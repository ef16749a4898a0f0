import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link waitFor}. */
export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Named in the timeout error: "timed out after 30000 ms waiting for <what>". */
  what: string;
  /** Returns a reason when waiting longer is pointless (e.g. the process died): fails at once. */
  abort?: () => string | undefined;
}

/**
 * Polls `check` until it returns a truthy value (or resolves to one) and returns it.
 * A check that throws counts as "not yet"; the last error becomes the timeout's cause.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs, intervalMs = 200, what, abort }: WaitOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    const aborted = abort?.();
    if (aborted !== undefined)
      throw new Error(`gave up waiting for ${what}: ${aborted}`, { cause: lastError });
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
