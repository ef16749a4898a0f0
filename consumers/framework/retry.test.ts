import { describe, expect, it } from 'vitest';
import { Dependency, DependencyUnavailableError, InvalidEventError } from '../../core/errors.ts';
import { unavailableDependency } from './dependency.ts';
import {
  backoffDelay,
  defaultOutagePolicy,
  defaultRetryPolicy,
  isRetriable,
  type OutageStep,
  type RetryPolicy,
  withRetry,
} from './retry.ts';

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

describe('withRetry during a dependency outage', () => {
  const down = () =>
    new DependencyUnavailableError(Dependency.postgres, 'connect ECONNREFUSED 127.0.0.1:15432');

  it('waits an outage out without limit, 200 ms doubling to a 30 s cap, and never gives up', async () => {
    const c = clock();
    let calls = 0;
    // 40 failed attempts: far past maxAttempts (5) and maxElapsedMs (60 s) of the policy.
    const r = await withRetry(
      async () => {
        if (++calls <= 40) throw down();
        return 'counted';
      },
      policy,
      { ...c, random: () => 0, unavailable: unavailableDependency },
    );
    expect(r).toEqual({ ok: true, value: 'counted', attempts: 41 });
    expect(c.waits.slice(0, 9)).toEqual([200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000]);
    expect(new Set(c.waits.slice(8))).toEqual(new Set([30_000]));
    expect(c.waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(15 * 60_000);
  });

  it('counts neither the outage attempts nor the outage time against the policy', async () => {
    const c = clock();
    let calls = 0;
    const r = await withRetry(
      async () => {
        calls++;
        if (calls <= 20) throw down(); // ~8 minutes of outage
        throw new Error('the event is bad');
      },
      policy,
      { ...c, random: () => 0, unavailable: unavailableDependency },
    );
    expect(r.ok || r.reason).toBe('exhausted');
    // 20 outage attempts, then the policy's own 5 attempts with its own delays.
    expect(r.ok || r.attempts).toBe(25);
    expect(c.waits.slice(20)).toEqual([100, 200, 400, 800]);
  });

  it('reports each step to waitOutage, and the end of the outage once, as recovered', async () => {
    const c = clock();
    const steps: OutageStep[] = [];
    const ends: [string, boolean][] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls <= 3) throw down();
        return 'ok';
      },
      policy,
      {
        ...c,
        random: () => 0,
        unavailable: unavailableDependency,
        waitOutage: async (step) => {
          steps.push(step);
          await c.wait(step.delayMs);
        },
        onOutageEnd: (d, recovered) => ends.push([d, recovered]),
      },
    );
    expect(steps.map((s) => [s.dependency, s.step, s.delayMs])).toEqual([
      ['postgres', 1, 200],
      ['postgres', 2, 400],
      ['postgres', 3, 800],
    ]);
    expect(ends).toEqual([['postgres', true]]);
  });

  it('stops while waiting when the stop signal fires: stopped, never dead-lettered', async () => {
    const stop = new AbortController();
    const ends: boolean[] = [];
    const r = await withRetry(
      async () => {
        throw down();
      },
      defaultRetryPolicy,
      {
        stop: stop.signal,
        unavailable: unavailableDependency,
        outage: { ...defaultOutagePolicy, initialDelayMs: 60_000 },
        waitOutage: (_step, signal) =>
          new Promise<void>((resolve) => {
            signal?.addEventListener('abort', () => resolve(), { once: true });
            setTimeout(() => stop.abort(), 10);
          }),
        onOutageEnd: (_, recovered) => ends.push(recovered),
      },
    );
    expect(r.ok || r.reason).toBe('stopped');
    expect(ends).toEqual([false]);
  });
});
