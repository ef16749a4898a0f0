import { describe, expect, it } from 'vitest';
import { SequenceTracker } from './sequence-tracker.ts';

describe('SequenceTracker', () => {
  it('passes the next sequence, drops duplicates and reports jumps', () => {
    const t = new SequenceTracker();
    expect(t.see('booking:1', 4)).toEqual({ kind: 'next' });
    expect(t.see('booking:1', 5)).toEqual({ kind: 'next' });
    expect(t.see('booking:1', 5)).toEqual({ kind: 'duplicate', last: 5 });
    expect(t.see('booking:1', 3)).toEqual({ kind: 'duplicate', last: 5 });
    expect(t.see('booking:1', 8)).toEqual({ kind: 'gap', expected: 6, got: 8 });
    expect(t.see('booking:2', 1)).toEqual({ kind: 'next' });
    t.clear();
    expect(t.see('booking:1', 2)).toEqual({ kind: 'next' });
  });

  it('still drops a repeat after a reset, without reporting the jump a reset implies', () => {
    const t = new SequenceTracker();
    t.see('booking:1', 1);
    t.see('booking:1', 2);
    t.rebase();
    expect(t.see('booking:1', 2)).toEqual({ kind: 'duplicate', last: 2 });
    expect(t.see('booking:1', 7)).toEqual({ kind: 'next' });
    expect(t.see('booking:1', 9)).toEqual({ kind: 'gap', expected: 8, got: 9 });
  });

  it('forgets the least recently seen aggregates past its capacity', () => {
    const t = new SequenceTracker(2);
    t.see('a', 1);
    t.see('b', 1);
    t.see('c', 1);
    expect(t.see('a', 1)).toEqual({ kind: 'next' });
    expect(t.see('c', 1)).toEqual({ kind: 'duplicate', last: 1 });
  });
});
