import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../core/errors.ts';
import { backoffDelay, defaultRetryPolicy, isRetriable, type RetryPolicy, withRetry } from './retry.ts';

const policy: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 1_000,
  multiplier: 2,
  jitter: 0.5,
  maxElapsedMs: 60_000,
};

/** A fake clock: waiting advances it. */
function clock() {
  let t = 1_000_000;
  const waits: number[] = [];
  return {
    now: () => t,
    wait: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
  };
}

describe('backoff', () => {
  it('grows exponentially up to the cap, jitter taking off at most its fraction', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, () => 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(policy, 3, () => 0.999)).toBe(200);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(policy, 2, Math.random);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });
});

describe('withRetry', () => {
  it('returns the value and the attempts it took', async () => {
    const c = clock();
    let calls = 0;
    const r = await withRetry(
      async () => {
        if (++calls < 3) throw new Error('flaky');
        return 'done';
      },
      policy,
      { ...c, random: () => 0 },
    );
    expect(r).toEqual({ ok: true, value: 'done', attempts: 3 });
    expect(c.waits).toEqual([100, 200]);
  });

  it('gives up after maxAttempts with the last error and the attempt times', async () => {
    const c = clock();
    const start = c.now();
    const r = await withRetry(
      async (n) => {
        throw new Error(`fail ${n}`);
      },
      policy,
      { ...c, random: () => 0 },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('exhausted');
    expect(r.attempts).toBe(5);
    expect((r.error as Error).message).toBe('fail 5');
    expect(r.firstAttemptAt.getTime()).toBe(start);
    expect(r.lastAttemptAt.getTime()).toBe(start + 100 + 200 + 400 + 800);
  });

  it('gives up when the next attempt would start after maxElapsedMs', async () => {
    const c = clock();
    const r = await withRetry(
      async () => {
        throw new Error('x');
      },
      { ...policy, maxAttempts: 100, maxElapsedMs: 1_000 },
      { ...c, random: () => 0 },
    );
    expect(r.ok || r.reason).toBe('exhausted');
    expect(c.waits).toEqual([100, 200, 400]);
  });

  it('does not retry an error that says retriable: false', async () => {
    let calls = 0;
    const r = await withRetry(async () => {
      calls++;
      throw new InvalidEventError('booking.created', []);
    }, policy);
    expect(calls).toBe(1);
    expect(r.ok || r.reason).toBe('non-retriable');
    expect(isRetriable(new Error('plain'))).toBe(true);
    expect(isRetriable(Object.assign(new Error('x'), { retriable: false }))).toBe(false);
    expect(isRetriable(null)).toBe(true);
  });

  it('stops at once when the stop signal fires during a delay', async () => {
    const stop = new AbortController();
    let calls = 0;
    const r = await withRetry(
      async () => {
        calls++;
        throw new Error('x');
      },
      { ...defaultRetryPolicy, initialDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 600_000 },
      {
        stop: stop.signal,
        onRetry: () => setTimeout(() => stop.abort(), 10),
      },
    );
    expect(calls).toBe(1);
    expect(r.ok || r.reason).toBe('stopped');
  });
});
