import { describe, expect, it } from 'vitest';
import {
  type ClaimOutcome,
  parseDueNotification,
  sleepAfterClaim,
  defaultDispatchTiming as t,
} from './dispatch-timing.ts';

const outcome = (o: Partial<ClaimOutcome>): ClaimOutcome => ({
  published: 0,
  full: false,
  busy: false,
  msUntilNextDue: null,
  ...o,
});

describe('sleepAfterClaim', () => {
  it('sleeps until the next due time', () => {
    expect(sleepAfterClaim(outcome({ msUntilNextDue: 4_321.2 }), t, true)).toBe(4_322);
  });

  it('sleeps no longer than the re-check with nothing pending, and polls every second while not listening', () => {
    expect(sleepAfterClaim(outcome({}), t, true)).toBe(t.idleRecheckMs);
    expect(sleepAfterClaim(outcome({ msUntilNextDue: 3_600_000 }), t, true)).toBe(t.idleRecheckMs);
    expect(sleepAfterClaim(outcome({ msUntilNextDue: 3_600_000 }), t, false)).toBe(t.unlistenedRecheckMs);
  });

  it('claims again at once after a full batch: more may be due', () => {
    expect(sleepAfterClaim(outcome({ published: 500, full: true, msUntilNextDue: -5 }), t, true)).toBe(0);
  });

  it('keeps a minimum interval after publishing, so a steady stream is published in small batches', () => {
    expect(sleepAfterClaim(outcome({ published: 3, msUntilNextDue: 1 }), t, true)).toBe(t.minIntervalMs);
    expect(sleepAfterClaim(outcome({ published: 3, msUntilNextDue: 200 }), t, true)).toBe(200);
  });

  it('never spins on an event that is due but was not claimed (another dispatcher has it)', () => {
    expect(sleepAfterClaim(outcome({ msUntilNextDue: -20 }), t, true)).toBe(t.busyRetryMs);
  });

  it('retries soon when an aggregate was held by another transaction', () => {
    expect(sleepAfterClaim(outcome({ busy: true, msUntilNextDue: null }), t, true)).toBe(t.busyRetryMs);
  });
});

describe('parseDueNotification', () => {
  it('reads the epoch milliseconds the trigger sends, and nothing else', () => {
    expect(parseDueNotification('1764500000123')).toBe(1764500000123);
    expect(parseDueNotification(undefined)).toBeUndefined();
    expect(parseDueNotification('')).toBeUndefined();
    expect(parseDueNotification('12.5')).toBeUndefined();
    expect(parseDueNotification('soon')).toBeUndefined();
    expect(parseDueNotification('9'.repeat(40))).toBeUndefined();
  });
});
