import { z } from 'zod';
import { defaultOutagePolicy, defaultRetryPolicy, type OutagePolicy, type RetryPolicy } from './retry.ts';

// The building blocks of the consumer option schemas (options.ts): messages that name what
// was expected and what came, and the two retry policies.

/** A short rendering of a value for a message: `a function`, `an object`, JSON otherwise. */
export function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return JSON.stringify(v) ?? String(v);
}

/** A zod error option: "must be <expected>, got <what came>". */
export const must = (expected: string) => ({
  error: (issue: { input?: unknown }) => `must be ${expected}, got ${describe(issue.input)}`,
});
/** An integer option in `min`…`max`. */
export const int = (min: number, max: number) => {
  const m = must(`an integer from ${min} to ${max}`);
  return z.int(m).min(min, m).max(max, m);
};
/** A check that a value is an object with these methods (a client, a store…). */
export const hasFunctions =
  (...names: string[]) =>
  (v: unknown) =>
    typeof v === 'object' && v !== null && names.every((n) => typeof (v as never)[n] === 'function');

// Shared by both backoff policies.
const multiplier = z.number(must('a number ≥ 1')).min(1, must('a number ≥ 1')).optional();
const jitter = z
  .number(must('a number from 0 to 1'))
  .min(0, must('a number from 0 to 1'))
  .max(1, must('a number from 0 to 1'))
  .optional();

/** The `retry` option: a partial {@link RetryPolicy} merged over `defaultRetryPolicy`. */
export const retry = z
  .object(
    {
      /** Attempts in all, the first one included (1 = no retry). */
      maxAttempts: int(1, 1_000).optional(),
      initialDelayMs: int(0, 3_600_000).optional(),
      maxDelayMs: int(0, 3_600_000).optional(),
      multiplier,
      jitter,
      maxElapsedMs: int(0, 86_400_000).optional(),
    },
    must('an object'),
  )
  .optional()
  .transform((r): RetryPolicy => {
    const given = Object.entries(r ?? {}).filter(([, v]) => v !== undefined);
    return { ...defaultRetryPolicy, ...Object.fromEntries(given) };
  });

/** The `outageRetry` option: a partial {@link OutagePolicy} merged over `defaultOutagePolicy`. */
export const outageRetry = z
  .object(
    {
      initialDelayMs: int(1, 3_600_000).optional(),
      maxDelayMs: int(1, 3_600_000).optional(),
      multiplier,
      jitter,
    },
    must('an object'),
  )
  .optional()
  .transform((r): OutagePolicy => {
    const given = Object.entries(r ?? {}).filter(([, v]) => v !== undefined);
    return { ...defaultOutagePolicy, ...Object.fromEntries(given) };
  });

const hour = 3_600_000;

/**
 * The `debounce` option of a handler definition: `quietMs` and `maxWaitMs`, both required
 * (a bound that is not written down is a bound nobody checked), `quietMs ≤ maxWaitMs`.
 */
export const debounce = z
  .object(
    {
      quietMs: int(1, hour),
      maxWaitMs: int(1, hour),
    },
    must('an object { quietMs, maxWaitMs }'),
  )
  .strict()
  .superRefine((d, ctx) => {
    if (d.quietMs > d.maxWaitMs)
      ctx.addIssue({
        code: 'custom',
        message: `must be at least quietMs (${d.quietMs}), got ${d.maxWaitMs}`,
        path: ['maxWaitMs'],
      });
  });
