/** How long a dispatcher sleeps between claims (pure: `producers/dispatch-timing.test.ts`). */
export interface DispatchTiming {
  /**
   * The longest sleep when nothing is due sooner: a re-check that catches a wake-up that was
   * missed (a notification lost with its connection, a clock step). Default 30 s.
   */
  idleRecheckMs: number;
  /** The longest sleep while the LISTEN connection is down: polling stands in for it. Default 1 s. */
  unlistenedRecheckMs: number;
  /**
   * The shortest time between two claims that found work: due times a few milliseconds apart
   * are published together in one transaction instead of one transaction each. Default 10 ms.
   */
  minIntervalMs: number;
  /**
   * How soon to look again when due events are held by another transaction: another
   * dispatcher's claim (published in a moment, or released by its crash) or an aggregate's
   * sequence a service transaction holds. Default 50 ms.
   */
  busyRetryMs: number;
}

/** The defaults of {@link DispatchTiming}. */
export const defaultDispatchTiming: DispatchTiming = Object.freeze({
  idleRecheckMs: 30_000,
  unlistenedRecheckMs: 1_000,
  minIntervalMs: 10,
  busyRetryMs: 50,
});

/** What one claim found, as far as the next sleep is concerned. */
export interface ClaimOutcome {
  /** Events published by the claim. */
  published: number;
  /** The claim took a whole batch: more may be due right now. */
  full: boolean;
  /** Due events were left because their aggregate's sequence was held by another transaction. */
  busy: boolean;
  /** Milliseconds until the next pending event is due (≤ 0: due now); null when none is pending. */
  msUntilNextDue: number | null;
}

/**
 * How long to sleep after a claim: until the next due time, never longer than the re-check
 * (shorter while notifications cannot be heard), never busy-looping, and at least
 * `minIntervalMs` after a claim that published something, so that a steady stream of due
 * events is published in small batches rather than one transaction per event.
 *
 * @example
 * sleepAfterClaim({ published: 0, full: false, busy: false, msUntilNextDue: 5_000 }, timing, true); // 5000
 */
export function sleepAfterClaim(o: ClaimOutcome, t: DispatchTiming, listening: boolean): number {
  if (o.full) return 0;
  const cap = listening ? t.idleRecheckMs : t.unlistenedRecheckMs;
  const floor = o.published > 0 ? t.minIntervalMs : 0;
  let ms = o.msUntilNextDue === null ? cap : Math.min(cap, Math.max(0, Math.ceil(o.msUntilNextDue)));
  if (o.busy) ms = Math.min(ms, t.busyRetryMs);
  // Due now but not claimed: another dispatcher holds it (it publishes it in a moment, or its
  // crash releases it to us): look again soon, without spinning.
  if (ms === 0 && o.published === 0) ms = t.busyRetryMs;
  return Math.max(ms, floor);
}

/**
 * The due time a `scheduled_events` notification carries (epoch milliseconds, written by the
 * migration 008 trigger); undefined for anything else.
 */
export function parseDueNotification(payload: string | undefined): number | undefined {
  if (payload === undefined || !/^-?\d{1,16}$/.test(payload)) return undefined;
  return Number(payload);
}
