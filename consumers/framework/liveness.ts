/** What the runner sees of a consumer at one liveness check. */
export interface LivenessSample {
  now: number;
  /**
   * Records between the group's committed offsets and the log ends of the partitions this
   * member owns; undefined when not measured (recent progress) or not measurable (broker down).
   */
  lag: number | undefined;
  /** Events handed to handlers and not finished. */
  inFlight: number;
  /** What the consumer is waiting out (a dependency down, the broker): it waits, it is not stuck. */
  waitingFor: string | undefined;
  /** The group member's state (`stable` once it holds an assignment). */
  memberState: string;
}

/**
 * The liveness rule of a consumer, pure (times come in): it is **stalled** when it has work —
 * lag on its partitions or events in flight — and makes no progress (no event finished, no
 * offset committed) for `stallTimeoutMs` from when that work was first seen; or when its group
 * member stays out of the `stable` state that long. While it waits out an outage it is never
 * stalled (restarting would not bring the dependency back), and the clocks start over after.
 * `stallTimeoutMs` 0 turns the rule off.
 *
 * @example
 * const d = createStallDetector({ stallTimeoutMs: 60_000 });
 * consumer.events.on('processed', () => d.progress(Date.now()));
 * const reason = d.check({ now: Date.now(), lag, inFlight, waitingFor, memberState });
 */
export function createStallDetector({
  stallTimeoutMs,
  startedAt = 0,
}: {
  stallTimeoutMs: number;
  startedAt?: number;
}) {
  let lastProgressAt = startedAt;
  let workSince: number | undefined;
  let unstableSince: number | undefined;
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

  return {
    /** An event finished or an offset was committed at `at`. */
    progress(at: number): void {
      lastProgressAt = Math.max(lastProgressAt, at);
      workSince = undefined;
    },

    /** When progress was last seen. */
    lastProgressAt: (): number => lastProgressAt,

    /** Why the consumer is stalled, or undefined when it is not. */
    check(s: LivenessSample): string | undefined {
      if (stallTimeoutMs <= 0) return undefined;
      if (s.waitingFor !== undefined) {
        workSince = undefined;
        unstableSince = undefined;
        return undefined;
      }
      if (s.memberState !== 'stable') {
        unstableSince ??= s.now;
        if (s.now - unstableSince >= stallTimeoutMs)
          return `its group member has not been stable for ${seconds(s.now - unstableSince)} (state ${s.memberState})`;
      } else unstableSince = undefined;
      const lag = s.lag ?? 0;
      if (lag <= 0 && s.inFlight <= 0) {
        // Measured and idle: nothing to do is not a stall. Unmeasured: keep what was seen.
        if (s.lag !== undefined) workSince = undefined;
        return undefined;
      }
      // Progress resets `workSince`: this is how long work has waited with none.
      workSince ??= s.now;
      if (s.now - workSince < stallTimeoutMs) return undefined;
      const work = [
        ...(lag > 0 ? [`a lag of ${lag}`] : []),
        ...(s.inFlight > 0 ? [`${s.inFlight} events in flight`] : []),
      ].join(' and ');
      return `no progress for ${seconds(s.now - lastProgressAt)} with ${work}`;
    },
  };
}

/** The detector {@link createStallDetector} returns. */
export type StallDetector = ReturnType<typeof createStallDetector>;
