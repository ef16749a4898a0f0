/** One event record as read back from its topic. */
export interface TopicRecord {
  eventId: string;
  /** `<topic>/<key>`: one aggregate's stream. */
  aggregate: string;
  sequence: number;
}

/** What a ledger found about some committed events. */
export interface LedgerTally {
  /** Committed, and on no topic. */
  lost: number;
  lostSample: string[];
  /** Extra copies of committed events on the topics (at-least-once capture: allowed, counted). */
  copies: number;
}

/**
 * The Kafka side of the proof (pure): records are added as a bounded read returns them, in
 * offset order within each partition (an aggregate lives in one partition), across as many
 * reads as the run makes. Duplicates are removed by event id; what remains of each aggregate
 * must be in increasing sequence.
 */
export function createLedger() {
  const copiesOf = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  const violations: string[] = [];

  return {
    add(records: Iterable<TopicRecord>): void {
      for (const r of records) {
        const copies = copiesOf.get(r.eventId);
        copiesOf.set(r.eventId, (copies ?? 0) + 1);
        if (copies !== undefined) continue;
        const last = lastSeq.get(r.aggregate);
        if (last !== undefined && r.sequence <= last) {
          violations.push(`${r.aggregate}: sequence ${r.sequence} after ${last} (${r.eventId})`);
        } else lastSeq.set(r.aggregate, r.sequence);
      }
    },
    /** Whether an event id was read at least once. */
    has: (eventId: string) => copiesOf.has(eventId),
    /**
     * Every record (duplicates removed) that came after a higher sequence of its aggregate, in
     * the order found: index it to tell what one stretch of reading found.
     */
    violations: (): readonly string[] => violations,
    /** Lost and copied among `ids`. */
    tally(ids: Iterable<string>): LedgerTally {
      let lost = 0;
      let copies = 0;
      const lostSample: string[] = [];
      for (const id of ids) {
        const n = copiesOf.get(id) ?? 0;
        if (n === 0) {
          lost++;
          if (lostSample.length < 5) lostSample.push(id);
        } else copies += n - 1;
      }
      return { lost, lostSample, copies };
    },
  };
}

/** The ledger {@link createLedger} returns. */
export type Ledger = ReturnType<typeof createLedger>;
