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
  // Offsets in the order added; `head` is the first one that may still be open.
  let queue: bigint[] = [];
  let head = 0;
  const open = new Set<bigint>();
  let last: bigint | undefined;
  let floor: bigint | undefined;

  return {
    add(o) {
      if (last !== undefined && o <= last) {
        throw new RangeError(`offsets must be added in increasing order: ${o} after ${last}`);
      }
      queue.push(o);
      open.add(o);
      last = o;
      floor ??= o;
    },
    complete(o) {
      if (!open.delete(o))
        throw new RangeError(`offset ${o} is not pending (never added, or completed twice)`);
      while (head < queue.length && !open.has(queue[head]!)) head++;
      floor = head < queue.length ? queue[head]! : last! + 1n;
      // Drop the finished prefix now and then, so a long-lived tracker stays small.
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
    },
    watermark: () => floor,
    pending: () => open.size,
  };
}
