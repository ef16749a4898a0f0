import { describe, expect, it } from 'vitest';
import { createStallDetector, type LivenessSample } from './liveness.ts';

const stallTimeoutMs = 60_000;
const sample = (now: number, s: Partial<LivenessSample> = {}): LivenessSample => ({
  now,
  lag: 0,
  inFlight: 0,
  waitingFor: undefined,
  memberState: 'stable',
  ...s,
});

describe('the stall rule', () => {
  it('an idle consumer (no lag, nothing in flight) is never stalled, however long it is quiet', () => {
    const d = createStallDetector({ stallTimeoutMs });
    for (let t = 0; t <= 3_600_000; t += 15_000) expect(d.check(sample(t))).toBeUndefined();
  });

  it('lag with no progress for stallTimeoutMs from when it was first seen is a stall', () => {
    const d = createStallDetector({ stallTimeoutMs });
    d.progress(1_000);
    expect(d.check(sample(100_000, { lag: 953 }))).toBeUndefined(); // first seen
    expect(d.check(sample(159_999, { lag: 19_317 }))).toBeUndefined();
    expect(d.check(sample(160_000, { lag: 19_317 }))).toBe('no progress for 159 s with a lag of 19317');
  });

  it('progress resets the clock: a slow consumer with lag that keeps finishing events is not stalled', () => {
    const d = createStallDetector({ stallTimeoutMs });
    for (let t = 0; t <= 600_000; t += 15_000) {
      expect(d.check(sample(t, { lag: 5_000 }))).toBeUndefined();
      d.progress(t + 1);
    }
  });

  it('events in flight and no progress is a stall too (a hung handler)', () => {
    const d = createStallDetector({ stallTimeoutMs });
    expect(d.check(sample(0, { inFlight: 3, lag: undefined }))).toBeUndefined();
    expect(d.check(sample(60_000, { inFlight: 3, lag: undefined }))).toBe(
      'no progress for 60 s with 3 events in flight',
    );
  });

  it('a fresh event right after a long quiet spell is not a stall', () => {
    const d = createStallDetector({ stallTimeoutMs });
    d.progress(0);
    expect(d.check(sample(3_600_000, { lag: 1 }))).toBeUndefined();
    d.progress(3_600_010);
    expect(d.check(sample(3_615_000, { lag: 0 }))).toBeUndefined();
  });

  it('is not stalled while it waits out an outage, and starts counting over after it', () => {
    const d = createStallDetector({ stallTimeoutMs });
    expect(d.check(sample(0, { lag: 10, waitingFor: 'postgres unavailable for 3 s' }))).toBeUndefined();
    expect(
      d.check(sample(600_000, { lag: 5_000, waitingFor: 'postgres unavailable for 600 s' })),
    ).toBeUndefined();
    expect(d.check(sample(615_000, { lag: 5_000 }))).toBeUndefined();
    expect(d.check(sample(674_999, { lag: 5_000 }))).toBeUndefined();
    expect(d.check(sample(675_000, { lag: 5_000 }))).toMatch(/^no progress/);
  });

  it('a group member out of the stable state for stallTimeoutMs is a stall (stuck in a rebalance)', () => {
    const d = createStallDetector({ stallTimeoutMs });
    expect(d.check(sample(0, { memberState: 'revoking', lag: undefined }))).toBeUndefined();
    expect(d.check(sample(30_000, { memberState: 'revoking', lag: undefined }))).toBeUndefined();
    expect(d.check(sample(60_000, { memberState: 'revoking', lag: undefined }))).toBe(
      'its group member has not been stable for 60 s (state revoking)',
    );
    expect(d.check(sample(61_000, { memberState: 'stable' }))).toBeUndefined();
  });

  it('stallTimeoutMs 0 turns the rule off', () => {
    const d = createStallDetector({ stallTimeoutMs: 0 });
    expect(d.check(sample(0, { lag: 10 }))).toBeUndefined();
    expect(d.check(sample(86_400_000, { lag: 10, memberState: 'joining' }))).toBeUndefined();
  });
});
