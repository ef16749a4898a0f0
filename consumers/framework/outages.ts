import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ConsumerMetrics } from './metrics.ts';
import type { OutageStep } from './retry.ts';

/** A dependency being waited out, as `status()` and `/health` show it. */
export interface Outage {
  dependency: string;
  /** When the first event began waiting for it. */
  since: Date;
  /** Events sleeping before their next attempt at it now. */
  waiting: number;
  /** The last failure it gave. */
  lastError: string;
}

/** What {@link createOutageTracker} needs. */
export interface OutageTrackerDeps {
  group: string;
  logger: Logger;
  metrics: ConsumerMetrics;
  /** At most one "still waiting" line per dependency this often (default 10 s). */
  logEveryMs?: number;
  now?: () => number;
}

interface State {
  since: number;
  waiting: number;
  lastError: string;
  loggedAt: number;
  /** Last time the outage seconds were counted up to. */
  countedAt: number;
  /** Wakes every event waiting for it: one of them got through. */
  recovered: AbortController;
}

const describe = (e: unknown) => (e instanceof Error ? e.message || e.name : String(e));

/**
 * The outages a consumer is waiting out, per dependency: every event that waits for one
 * (`wait`) is counted while it sleeps, and when one of them gets through (`end` with
 * `recovered`) the others are woken at once instead of sleeping out their backoff (which
 * reaches 30 s in a long outage). Shows each
 * outage in the metrics (`outstream_consumer_dependency_unavailable`, events waiting, seconds
 * of outage) and logs it: one line when it starts, at most one per `logEveryMs` while it lasts
 * (whatever the number of events waiting and of backoff steps), one when it is over.
 */
export function createOutageTracker({
  group,
  logger,
  metrics,
  logEveryMs = 10_000,
  now = Date.now,
}: OutageTrackerDeps) {
  const outages = new Map<string, State>();

  function count(dependency: string, s: State): void {
    const t = now();
    metrics.dependencyOutageSeconds.inc({ group, dependency }, Math.max(0, t - s.countedAt) / 1000);
    s.countedAt = t;
    metrics.dependencyWaiting.set({ group, dependency }, s.waiting);
  }

  function begin(dependency: string, error: unknown): State {
    let s = outages.get(dependency);
    if (!s) {
      const t = now();
      s = {
        since: t,
        waiting: 0,
        lastError: describe(error),
        loggedAt: t,
        countedAt: t,
        recovered: new AbortController(),
      };
      outages.set(dependency, s);
      metrics.dependencyUnavailable.set({ group, dependency }, 1);
      logger.warn({ dependency, err: error }, `${dependency} unavailable: waiting it out (no dead letters)`);
    }
    return s;
  }

  return {
    /**
     * One event waits one backoff step for `dependency` (its first step counts it as waiting).
     * Resolves after the step's delay, when `signal` fires, or as soon as another event got
     * through to the dependency.
     */
    async wait(step: OutageStep, signal?: AbortSignal): Promise<void> {
      const s = begin(step.dependency, step.error);
      s.waiting++;
      s.lastError = describe(step.error);
      count(step.dependency, s);
      const t = now();
      if (t - s.loggedAt >= logEveryMs) {
        s.loggedAt = t;
        logger.warn(
          {
            dependency: step.dependency,
            waitingMs: t - s.since,
            events: s.waiting,
            nextAttemptMs: step.delayMs,
            error: s.lastError,
          },
          `still waiting for ${step.dependency}`,
        );
      }
      const signals = [s.recovered.signal, ...(signal ? [signal] : [])];
      try {
        await sleep(step.delayMs, undefined, { signal: AbortSignal.any(signals) }).catch(() => undefined);
      } finally {
        s.waiting--;
        if (outages.get(step.dependency) === s) count(step.dependency, s);
      }
    },

    /**
     * An event stopped waiting for `dependency`: it got through (`recovered`: the outage is
     * over and every other waiting event is woken), or it gave up (stopping).
     */
    end(dependency: string, recovered: boolean): void {
      const s = outages.get(dependency);
      if (!s || (!recovered && s.waiting > 0)) return;
      outages.delete(dependency);
      s.recovered.abort();
      count(dependency, s);
      metrics.dependencyUnavailable.set({ group, dependency }, 0);
      metrics.dependencyWaiting.set({ group, dependency }, 0);
      const after = `${((now() - s.since) / 1000).toFixed(1)} s`;
      if (recovered)
        logger.info({ dependency, outageMs: now() - s.since }, `${dependency} is back after ${after}`);
      else logger.info({ dependency }, `stopped waiting for ${dependency} after ${after}`);
    },

    /** The outages being waited out now. */
    current(): Outage[] {
      return [...outages].map(([dependency, s]) => ({
        dependency,
        since: new Date(s.since),
        waiting: s.waiting,
        lastError: s.lastError,
      }));
    },
  };
}

/** The tracker {@link createOutageTracker} returns. */
export type OutageTracker = ReturnType<typeof createOutageTracker>;
