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
 * One statement allocates the sequence numbers and writes the rows. The upsert takes each
 * aggregate's row lock, held to commit, so a concurrent transaction on the same aggregate
 * waits and continues from the committed value: gap-free, increasing in commit order.
 * Aggregates are locked in sorted order, so two multi-aggregate emits cannot deadlock.
 * Events of one aggregate are numbered in input order. Used by `emit()` and by the
 * scheduled-events dispatcher, which allocates a scheduled event's number when it publishes it.
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
    name: 'outstream_emit',
    text: `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                            $7::text[], $8::text[], $9::bytea[])
         WITH ORDINALITY AS t(event_id, aggregate_type, aggregate_id, event_type, occurred_at, actor,
                              traceparent, tracestate, payload, ord)),
     counts AS (SELECT aggregate_type, aggregate_id, count(*) AS n FROM input GROUP BY 1, 2),
     seq AS (
       INSERT INTO outbox_sequences AS s (aggregate_type, aggregate_id, last_sequence)
       SELECT aggregate_type, aggregate_id, n FROM counts ORDER BY aggregate_type, aggregate_id
       ON CONFLICT (aggregate_type, aggregate_id)
         DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
       RETURNING aggregate_type, aggregate_id, last_sequence),
     numbered AS (
       SELECT i.*, seq.last_sequence - c.n
                   + row_number() OVER (PARTITION BY i.aggregate_type, i.aggregate_id ORDER BY i.ord) AS sequence
       FROM input i JOIN counts c USING (aggregate_type, aggregate_id) JOIN seq USING (aggregate_type, aggregate_id))
     INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor,
                         traceparent, tracestate, payload)
     SELECT event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor,
            traceparent, tracestate, payload
     FROM numbered ORDER BY ord
     RETURNING event_id, sequence`,
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
    ],
  });
  // The inserts are in the WAL, which is all Debezium reads; the publication skips deletes.
  if (!retain) {
    await tx.query({
      name: 'outstream_emit_delete',
      text: 'DELETE FROM outbox WHERE event_id = ANY($1::uuid[])',
      values: [col((r) => r.eventId)],
    });
  }
  return new Map(written.map((r) => [r.event_id, Number(r.sequence)]));
}
