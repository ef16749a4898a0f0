import { describe, expect, it } from 'vitest';
import { DuplicateFilter } from './duplicate-filter.ts';
import { LastSequences } from './last-sequences.ts';

const rec = (offset: number, aggregate: string | undefined, sequence: number) => ({
  topic: 'events.booking',
  partition: 0,
  offset: BigInt(offset),
  aggregate,
  sequence,
});

describe('DuplicateFilter', () => {
  it('drops a record repeating a sequence already dispatched, and remembers where it was', () => {
    const f = new DuplicateFilter(100);
    expect(
      [rec(0, 'booking:a', 1), rec(1, 'booking:a', 2), rec(2, 'booking:b', 1)].map((r) => f.repeats(r)),
    ).toEqual([false, false, false]);
    // Republished after a Connect crash, at later offsets.
    expect(f.repeats(rec(3, 'booking:a', 1))).toBe(true);
    expect(f.repeats(rec(4, 'booking:a', 2))).toBe(true);
    expect(f.repeats(rec(5, 'booking:a', 3))).toBe(false);
    expect(f.dropped(rec(3, 'booking:a', 1))).toBe(true);
    expect(f.dropped(rec(1, 'booking:a', 2))).toBe(false);
    // An undecodable record has no sequence: never a duplicate.
    expect(f.repeats(rec(6, undefined, 0))).toBe(false);
  });

  it('learns the sequences of a gap read from Kafka', () => {
    const f = new DuplicateFilter(100);
    const gap = new LastSequences(100);
    gap.repeats('booking:a', 7);
    f.learn(gap);
    expect(f.repeats(rec(9, 'booking:a', 7))).toBe(true);
    expect(f.repeats(rec(10, 'booking:a', 8))).toBe(false);
  });
});

describe('LastSequences', () => {
  it('is bounded: past its capacity the least recently seen aggregate is forgotten', () => {
    const s = new LastSequences(2);
    s.repeats('a', 1);
    s.repeats('b', 1);
    expect(s.repeats('a', 1)).toBe(true); // a is now the most recent
    s.repeats('c', 1); // forgets b
    expect(s.size).toBe(2);
    expect(s.repeats('b', 1)).toBe(false);
    s.note('c', 5);
    s.note('c', 3);
    expect(s.repeats('c', 5)).toBe(true);
    expect(new LastSequences(0).repeats('a', 1)).toBe(false);
  });
});
