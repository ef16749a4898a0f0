/** What {@link SequenceTracker.see} decided about an event. */
export type SequenceVerdict =
  | { kind: 'next' }
  | { kind: 'duplicate'; last: number }
  | { kind: 'gap'; expected: number; got: number };

/**
 * Tracks the last sequence number seen per aggregate (`aggregateType:aggregateId`): an event
 * at or below it is a duplicate, one beyond the next is a possible gap (possible, because a
 * channel need not carry every event of an aggregate). Bounded: the least recently seen
 * aggregates are forgotten past `capacity`.
 */
export class SequenceTracker {
  private readonly last = new Map<string, number>();
  private readonly capacity: number;

  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  see(aggregate: string, sequence: number): SequenceVerdict {
    const last = this.last.get(aggregate);
    if (last !== undefined && sequence <= last) return { kind: 'duplicate', last };
    this.last.delete(aggregate);
    this.last.set(aggregate, sequence);
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value!);
    if (last !== undefined && sequence > last + 1) return { kind: 'gap', expected: last + 1, got: sequence };
    return { kind: 'next' };
  }

  /** Forgets everything (after a `reset`, when the client refetches its state). */
  clear(): void {
    this.last.clear();
  }
}
