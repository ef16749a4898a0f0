import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How a failing handler is retried in place: exponential backoff with jitter, bounded by
 * attempts and by time. Only its own key waits; other keys keep flowing.
 */
export interface RetryPolicy {
  /** Attempts in all, the first one included (1 = no retry). */
  maxAttempts: number;
  /** Delay after the first failed attempt. */
  initialDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
  /** Growth factor of the delay per attempt. */
  multiplier: number;
  /** Fraction of each delay drawn at random (0 = none, 1 = "full jitter"). */
  jitter: number;
  /** No attempt starts later than this after the first one. */
  maxElapsedMs: number;
}

/**
 * The defaults: 5 attempts over at most 30 s (0.2 s, 0.4 s, 0.8 s, 1.6 s, each ±20 %).
 * Passed in explicitly, never switched on the environment.
 */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0.2,
  maxElapsedMs: 30_000,
});

/** The delay after failed attempt number `attempt` (1-based), jitter drawn from `random`. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}

/**
 * Whether an error is worth another attempt. The error decides: `retriable: false` (every
 * non-retriable OutstreamError, or any error carrying that flag) goes straight to the
 * dead-letter topic; anything else — a plain Error, a network failure — is retried.
 */
export function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | null)?.retriable !== false;
}

/** How {@link withRetry} ended. */
export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | {
      ok: false;
      /** The last attempt's error. */
      error: unknown;
      attempts: number;
      firstAttemptAt: Date;
      lastAttemptAt: Date;
      /** Why it stopped: out of attempts/time, a non-retriable error, or `stop` fired. */
      reason: 'exhausted' | 'non-retriable' | 'stopped';
    };

/** Hooks and clocks of {@link withRetry} (the clocks are for tests). */
export interface RetryOptions {
  /** When it fires, no further attempt starts and a pending delay ends at once ("stopped"). */
  stop?: AbortSignal;
  /** Called before each delay. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  now?: () => number;
  random?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const abortableWait = (ms: number, signal?: AbortSignal) =>
  sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * Calls `attempt(n)` until it resolves, the error is not retriable, or the policy runs out.
 * Never throws: the outcome says what happened and carries what a dead letter records.
 *
 * @example
 * const r = await withRetry((n) => handler(event, { attempt: n }), defaultRetryPolicy);
 * if (!r.ok && r.reason !== 'stopped') await deadLetter(record, r);
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  { stop, onRetry, now = Date.now, random = Math.random, wait = abortableWait }: RetryOptions = {},
): Promise<RetryOutcome<T>> {
  const first = now();
  for (let n = 1; ; n++) {
    const startedAt = now();
    try {
      return { ok: true, value: await attempt(n), attempts: n };
    } catch (error) {
      const failed = (reason: 'exhausted' | 'non-retriable' | 'stopped') => ({
        ok: false as const,
        error,
        attempts: n,
        firstAttemptAt: new Date(first),
        lastAttemptAt: new Date(startedAt),
        reason,
      });
      if (!isRetriable(error)) return failed('non-retriable');
      if (stop?.aborted) return failed('stopped');
      const delayMs = backoffDelay(policy, n, random);
      if (n >= policy.maxAttempts || now() + delayMs - first > policy.maxElapsedMs)
        return failed('exhausted');
      onRetry?.({ attempt: n, delayMs, error });
      await wait(delayMs, stop);
      if (stop?.aborted) return failed('stopped');
    }
  }
}
