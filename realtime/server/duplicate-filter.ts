import { LastSequences } from './last-sequences.ts';

/** Positions of records dropped as duplicates that the node remembers for gap reads. */
const flaggedCapacity = 10_000;

/** What the filter needs of a record. */
export interface SequencedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** `aggregateType:aggregateId`; undefined for a record that could not be decoded. */
  aggregate?: string | undefined;
  sequence?: number | undefined;
}

/**
 * The node's duplicate filter, fed in log order by the hub: a record repeating an aggregate's
 * sequence (Debezium is at least once) is dropped for every stream at once. It remembers the
 * last sequence of the `capacity` most recently seen aggregates, and the positions of the
 * last 10,000 records it dropped, so a gap read from Kafka over them drops them too.
 */
export class DuplicateFilter {
  private readonly sequences: LastSequences;
  private readonly flagged = new Set<string>();

  constructor(capacity: number) {
    this.sequences = new LastSequences(capacity);
  }

  /** Sees a record being dispatched: true when it is a duplicate (and remembered as one). */
  repeats(record: SequencedRecord): boolean {
    if (record.aggregate === undefined || record.sequence === undefined) return false;
    if (!this.sequences.repeats(record.aggregate, record.sequence)) return false;
    this.flagged.add(key(record));
    if (this.flagged.size > flaggedCapacity) this.flagged.delete(this.flagged.values().next().value!);
    return true;
  }

  /** True if the record at this position was dropped as a duplicate when it was dispatched. */
  dropped(record: SequencedRecord): boolean {
    return this.flagged.has(key(record));
  }

  /**
   * Learns sequences from a gap read from Kafka (they precede every record dispatched from
   * now on): the node may have started after those records, and must not pass their repeats.
   */
  learn(gap: LastSequences): void {
    for (const [aggregate, sequence] of gap.entries()) this.sequences.note(aggregate, sequence);
  }
}

const key = (r: SequencedRecord) => `${r.topic}/${r.partition}/${r.offset}`;
