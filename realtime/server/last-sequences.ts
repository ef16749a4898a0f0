/**
 * The last sequence seen per aggregate (`aggregateType:aggregateId`), bounded: past `capacity`
 * the least recently seen aggregate is forgotten. Sequences grow by one per aggregate in log
 * order (the outbox allocates them under a row lock, Debezium publishes in commit order, and
 * an aggregate's records share a partition), so a record whose sequence is at or below the
 * last one seen is one Debezium published twice (it is at least once: a Connect crash
 * republishes the records since its last offset flush, at later offsets).
 */
export class LastSequences {
  private readonly last = new Map<string, number>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /**
   * Sees one record, in log order: true when it repeats a sequence already seen (a duplicate:
   * nothing is recorded), false when it is new (recorded).
   */
  repeats(aggregate: string, sequence: number): boolean {
    if (this.capacity === 0) return false;
    const last = this.last.get(aggregate);
    if (last !== undefined && sequence <= last) {
      this.touch(aggregate, last);
      return true;
    }
    this.touch(aggregate, sequence);
    return false;
  }

  /** Records a sequence known to precede what is seen from now on (kept if higher). */
  note(aggregate: string, sequence: number): void {
    if (this.capacity === 0) return;
    const last = this.last.get(aggregate);
    this.touch(aggregate, last === undefined || sequence > last ? sequence : last);
  }

  /** Every aggregate and its last sequence (to merge into another index). */
  entries(): IterableIterator<[string, number]> {
    return this.last.entries();
  }

  get size(): number {
    return this.last.size;
  }

  private touch(aggregate: string, sequence: number): void {
    // Map keeps insertion order: re-inserting moves the aggregate to the young end.
    this.last.delete(aggregate);
    this.last.set(aggregate, sequence);
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value!);
  }
}
