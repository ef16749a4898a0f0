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

/** How a dependency outage is waited out: without limit, each delay growing up to a cap. */
export type OutagePolicy = Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs' | 'multiplier' | 'jitter'>;

/**
 * The default outage backoff: 0.2 s doubling up to 30 s (±20 %), for as long as it takes. A
 * PostgreSQL restart (~16 s) is then retried about seven times, a long outage twice a minute.
 */
export const defaultOutagePolicy: OutagePolicy = Object.freeze({
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
});

/** The delay after failed attempt number `attempt` (1-based), jitter drawn from `random`. */
export function backoffDelay(
  policy: OutagePolicy,
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

/** One step of waiting out an outage, as {@link RetryOptions.waitOutage} gets it. */
export interface OutageStep {
  dependency: string;
  /** 1, 2, … within this outage. */
  step: number;
  delayMs: number;
  error: unknown;
}

/** Hooks and clocks of {@link withRetry} (the clocks are for tests). */
export interface RetryOptions {
  /** When it fires, no further attempt starts and a pending delay ends at once ("stopped"). */
  stop?: AbortSignal;
  /** Called before each delay of an ordinary (counted) retry. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /**
   * Names the dependency an error says is unavailable (`unavailableDependency`). Such a
   * failure is no fault of the event: it is retried without limit on `outage`, and counts
   * toward neither `maxAttempts` nor `maxElapsedMs`.
   */
  unavailable?: (error: unknown) => string | undefined;
  /** Backoff of outage retries (default {@link defaultOutagePolicy}). */
  outage?: OutagePolicy;
  /** Waits one outage step (default: `wait(step.delayMs)`); may end early (the dependency is back). */
  waitOutage?: (step: OutageStep, signal?: AbortSignal) => Promise<void>;
  /**
   * An outage ended for this call: `recovered` when the next attempt got past the dependency
   * (it succeeded, or failed for another reason), false when the retry stopped while waiting.
   */
  onOutageEnd?: (dependency: string, recovered: boolean) => void;
  now?: () => number;
  random?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const abortableWait = (ms: number, signal?: AbortSignal) =>
  sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * Calls `attempt(n)` until it resolves, the error is not retriable, or the policy runs out —
 * except for a dependency outage (`unavailable`), which is waited out for as long as it lasts.
 * Never throws: the outcome says what happened and carries what a dead letter records.
 *
 * @example
 * const r = await withRetry((n) => handler(event, { attempt: n }), defaultRetryPolicy, {
 *   unavailable: unavailableDependency,
 * });
 * if (!r.ok && r.reason !== 'stopped') await deadLetter(record, r);
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  {
    stop,
    onRetry,
    unavailable,
    outage: outagePolicy = defaultOutagePolicy,
    waitOutage,
    onOutageEnd,
    now = Date.now,
    random = Math.random,
    wait = abortableWait,
  }: RetryOptions = {},
): Promise<RetryOutcome<T>> {
  const first = now();
  // Failed attempts and time that count toward the policy: outages count toward neither.
  let failures = 0;
  let outageMs = 0;
  let outage: { dependency: string; step: number } | undefined;
  const endOutage = (recovered: boolean) => {
    if (outage) onOutageEnd?.(outage.dependency, recovered);
    outage = undefined;
  };
  for (let n = 1; ; n++) {
    const startedAt = now();
    let value: T;
    try {
      value = await attempt(n);
    } catch (error) {
      const failed = (reason: 'exhausted' | 'non-retriable' | 'stopped') => ({
        ok: false as const,
        error,
        attempts: n,
        firstAttemptAt: new Date(first),
        lastAttemptAt: new Date(startedAt),
        reason,
      });
      const dependency = unavailable?.(error);
      if (dependency !== undefined) {
        if (outage?.dependency !== dependency) {
          endOutage(true);
          outage = { dependency, step: 0 };
        }
        if (stop?.aborted) {
          endOutage(false);
          return failed('stopped');
        }
        outage.step++;
        const step = {
          dependency,
          step: outage.step,
          delayMs: backoffDelay(outagePolicy, outage.step, random),
          error,
        };
        await (waitOutage ? waitOutage(step, stop) : wait(step.delayMs, stop));
        outageMs += now() - startedAt;
        if (stop?.aborted) {
          endOutage(false);
          return failed('stopped');
        }
        continue;
      }
      endOutage(true);
      failures++;
      if (!isRetriable(error)) return failed('non-retriable');
      if (stop?.aborted) return failed('stopped');
      const delayMs = backoffDelay(policy, failures, random);
      if (failures >= policy.maxAttempts || now() + delayMs - first - outageMs > policy.maxElapsedMs)
        return failed('exhausted');
      onRetry?.({ attempt: n, delayMs, error });
      await wait(delayMs, stop);
      if (stop?.aborted) return failed('stopped');
      continue;
    }
    endOutage(true);
    return { ok: true, value, attempts: n };
  }
}
