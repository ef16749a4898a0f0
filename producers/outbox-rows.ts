import type { Tx } from './emitter.ts';

/** One row of `public.outbox` (producers/README.md, "Wire contract"), before its sequence number. */
export interface OutboxRow {
  eventId: string;
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  occurredAt: Date;
  actor: string | null;
  traceparent: string | null;
  tracestate: string | null;
  /** The Confluent-framed Avro payload. */
  payload: Buffer;
}

/**
 * One round trip allocates the sequence numbers, writes the rows and, unless `retain`,
 * deletes them again (`outbox_write()`, migration 010): the upsert takes each aggregate's
 * row lock, held to commit, so a concurrent transaction on the same aggregate waits and
 * continues from the committed value — gap-free, increasing in commit order. Aggregates are
 * locked in sorted order, so two multi-aggregate emits cannot deadlock. Events of one
 * aggregate are numbered in input order. Used by `emit()` and by the scheduled-events
 * dispatcher, which allocates a scheduled event's number when it publishes it.
 *
 * @returns the sequence number of each event id.
 */
export async function insertOutboxRows(
  tx: Tx,
  rows: readonly OutboxRow[],
  retain: boolean,
): Promise<Map<string, number>> {
  const col = <T>(f: (r: OutboxRow) => T) => rows.map(f);
  // Named: prepared once per connection, so PostgreSQL plans this statement only once.
  const { rows: written } = await tx.query<{ event_id: string; sequence: string }>({
    name: 'outstream_outbox_write',
    text: `SELECT written_event_id AS event_id, written_sequence AS sequence
           FROM outbox_write($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                             $7::text[], $8::text[], $9::bytea[], $10::boolean)`,
    values: [
      col((r) => r.eventId),
      col((r) => r.aggregateType),
      col((r) => r.aggregateId),
      col((r) => r.eventType),
      col((r) => r.occurredAt),
      col((r) => r.actor),
      col((r) => r.traceparent),
      col((r) => r.tracestate),
      col((r) => r.payload),
      retain,
    ],
  });
  return new Map(written.map((r) => [r.event_id, Number(r.sequence)]));
}
