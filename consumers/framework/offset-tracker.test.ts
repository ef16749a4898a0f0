import { describe, expect, it } from 'vitest';
import { createOffsetTracker } from './offset-tracker.ts';

/** A seeded PRNG (mulberry32): failures reproduce. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('offset tracker', () => {
  it('has no watermark before the first offset', () => {
    expect(createOffsetTracker().watermark()).toBeUndefined();
  });

  it('stays at the lowest unfinished offset while higher ones finish', () => {
    const t = createOffsetTracker();
    for (const o of [10n, 11n, 12n, 13n]) t.add(o);
    expect(t.watermark()).toBe(10n);
    t.complete(12n);
    t.complete(11n);
    expect(t.watermark()).toBe(10n);
    t.complete(10n);
    expect(t.watermark()).toBe(13n);
    t.complete(13n);
    expect(t.watermark()).toBe(14n);
    expect(t.pending()).toBe(0);
  });

  it('handles gaps between offsets (compaction, transaction markers)', () => {
    const t = createOffsetTracker();
    for (const o of [5n, 9n, 20n]) t.add(o);
    t.complete(5n);
    expect(t.watermark()).toBe(9n);
    t.complete(20n);
    expect(t.watermark()).toBe(9n);
    t.complete(9n);
    expect(t.watermark()).toBe(21n);
  });

  it('rejects offsets out of order, unknown or completed twice', () => {
    const t = createOffsetTracker();
    t.add(3n);
    expect(() => t.add(3n)).toThrow(/increasing order/);
    expect(() => t.add(2n)).toThrow(/increasing order/);
    expect(() => t.complete(4n)).toThrow(/not pending/);
    t.complete(3n);
    expect(() => t.complete(3n)).toThrow(/not pending/);
  });

  it('never passes an unfinished offset, for 500 random completion orders', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = prng(seed);
      const t = createOffsetTracker();
      const n = 1 + Math.floor(random() * 200);
      const start = BigInt(Math.floor(random() * 1e6));
      const offsets: bigint[] = [];
      let o = start;
      for (let i = 0; i < n; i++) {
        o += 1n + (random() < 0.1 ? BigInt(Math.floor(random() * 5)) : 0n);
        offsets.push(o);
      }
      // Interleave adds and completes: an offset completes only after it was added.
      const done = new Set<bigint>();
      let added = 0;
      let lowest = 0;
      for (const next of shuffle(offsets, random)) {
        while (added < offsets.length && offsets[added]! <= next) t.add(offsets[added++]!);
        t.complete(next);
        done.add(next);
        const w = t.watermark()!;
        // Offsets are ascending: the lowest open one is found by advancing past done ones.
        while (lowest < added && done.has(offsets[lowest]!)) lowest++;
        const expected = lowest < added ? offsets[lowest]! : offsets[added - 1]! + 1n;
        if (w !== expected) expect(w, `seed ${seed}`).toBe(expected);
        // The invariant itself: everything below the watermark is done (one expect per
        // violation, not per offset: 500 seeds × 200² expects took 20 s on a loaded machine).
        const undone = offsets.find((x) => x < w && !done.has(x));
        if (undone !== undefined) expect.fail(`seed ${seed}: ${undone} < ${w} is not done`);
      }
      expect(t.watermark()).toBe(offsets.at(-1)! + 1n);
      expect(t.pending()).toBe(0);
    }
  });

  it('stays small and correct over a long life', () => {
    const t = createOffsetTracker();
    const random = prng(42);
    const window: bigint[] = [];
    for (let o = 0n; o < 50_000n; o++) {
      t.add(o);
      window.push(o);
      if (window.length > 32) {
        const i = Math.floor(random() * window.length);
        t.complete(window.splice(i, 1)[0]!);
      }
    }
    for (const o of window) t.complete(o);
    expect(t.watermark()).toBe(50_000n);
  });
});
