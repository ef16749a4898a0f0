/**
 * The offsets of one partition that were handed to handlers, and which of them have
 * finished. Handlers of different keys finish out of order; Kafka stores one number per
 * partition, so the only safe number to commit is the low watermark: the lowest offset not
 * yet finished (every offset below it has finished). Committing anything higher would let a
 * crash skip the unfinished event. Pure logic, no I/O.
 */
export interface OffsetTracker {
  /** Registers an offset handed to a handler; offsets must be added in increasing order. */
  add(offset: bigint): void;
  /** Marks an added offset finished (handled, skipped or dead-lettered). */
  complete(offset: bigint): void;
  /**
   * The offset to commit (Kafka semantics: the next offset to read): every offset below it
   * has finished. Undefined until an offset has been added.
   */
  watermark(): bigint | undefined;
  /** Offsets added and not yet finished. */
  pending(): number;
}

/**
 * Creates the tracker of one partition.
 *
 * @example
 * const t = createOffsetTracker();
 * t.add(10n); t.add(11n); t.add(12n);
 * t.complete(11n); t.watermark(); // 10n: offset 10 is unfinished
 * t.complete(10n); t.watermark(); // 12n
 */
export function createOffsetTracker(): OffsetTracker {
  // Offsets are kept as numbers relative to the first one (a partition never moves 2^53 in
  // one assignment): bigint keys in a Set cost a hash and an allocation per record.
  let base: bigint | undefined;
  // Offsets in the order added, and whether each finished; `head` is the first that may be open.
  let offsets: number[] = [];
  let finished: boolean[] = [];
  let head = 0;
  let last = -1;
  let open = 0;

  /** Where `d` sits among the offsets from `head` on, or -1. */
  function indexOf(d: number): number {
    // Handlers mostly finish in order: the first open offset is the usual answer.
    if (offsets[head] === d) return head;
    let lo = head;
    let hi = offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = offsets[mid]!;
      if (at === d) return mid;
      if (at < d) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  return {
    add(o) {
      const first = base === undefined;
      base ??= o;
      const d = Number(o - base);
      if (!first && d <= last) {
        throw new RangeError(`offsets must be added in increasing order: ${o} after ${base + BigInt(last)}`);
      }
      offsets.push(d);
      finished.push(false);
      last = d;
      open++;
    },
    complete(o) {
      const i = base === undefined || o < base ? -1 : indexOf(Number(o - base));
      if (i < 0 || finished[i]) {
        throw new RangeError(`offset ${o} is not pending (never added, or completed twice)`);
      }
      finished[i] = true;
      open--;
      while (head < offsets.length && finished[head]) head++;
      // Drop the finished prefix now and then, so a long-lived tracker stays small.
      if (head > 1024 && head * 2 > offsets.length) {
        offsets = offsets.slice(head);
        finished = finished.slice(head);
        head = 0;
      }
    },
    // Asked once per commit tick, not per record: the bigint is made here.
    watermark: () =>
      base === undefined ? undefined : base + BigInt(head < offsets.length ? offsets[head]! : last + 1),
    pending: () => open,
  };
}
