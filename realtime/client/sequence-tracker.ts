/** What {@link SequenceTracker.see} decided about an event. */
export type SequenceVerdict =
  | { kind: 'next' }
  | { kind: 'duplicate'; last: number }
  | { kind: 'gap'; expected: number; got: number };

/**
 * Tracks the last sequence number seen per aggregate (`aggregateType:aggregateId`): an event
 * at or below it is a duplicate, one beyond the next is a possible gap (possible, because a
 * channel need not carry every event of an aggregate). It outlives reconnects, resumes and
 * resets, so an event repeated across any of them (Debezium is at least once) is dropped.
 * Bounded: the least recently seen aggregates are forgotten past `capacity`.
 */
export class SequenceTracker {
  private readonly last = new Map<string, { sequence: number; epoch: number }>();
  private readonly capacity: number;
  private epoch = 0;

  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  see(aggregate: string, sequence: number): SequenceVerdict {
    const last = this.last.get(aggregate);
    if (last !== undefined && sequence <= last.sequence) return { kind: 'duplicate', last: last.sequence };
    this.last.delete(aggregate);
    this.last.set(aggregate, { sequence, epoch: this.epoch });
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value!);
    // Events missed before a reset are expected (the client refetched its state): no gap then.
    if (last !== undefined && last.epoch === this.epoch && sequence > last.sequence + 1) {
      return { kind: 'gap', expected: last.sequence + 1, got: sequence };
    }
    return { kind: 'next' };
  }

  /**
   * After a `reset` (the client refetches its state): the jump to each aggregate's next event
   * is not reported as a gap, but what was seen is kept, so a repeat is still a duplicate.
   */
  rebase(): void {
    this.epoch++;
  }

  /** Forgets everything. */
  clear(): void {
    this.last.clear();
  }
}
