import type { Tx } from './emitter.ts';
import type { OutboxRow } from './outbox-rows.ts';
import type { DueSpec } from './schedule-input.ts';

/** One row of `scheduled_events` (migration 008): an outbox row without its time, plus when and a key. */
export interface ScheduledRow extends Omit<OutboxRow, 'occurredAt'> {
  /** An absolute time, or a delay from the database's clock. */
  due: DueSpec;
  key: string | null;
}

/** What the database made of one row. */
export interface WrittenSchedule {
  dueAt: Date;
  /** True when a pending schedule with the same key was replaced. */
  replaced: boolean;
}

/**
 * Writes scheduled rows with one statement, whatever their number: a row whose key is pending
 * replaces that schedule (event, time and all). The keys must be distinct within the call
 * (PostgreSQL refuses to update one row twice in a statement): the callers check it first.
 * A delay is added to `clock_timestamp()`, the database's clock, as each row is written.
 *
 * @returns what was written, per event id.
 */
export async function insertScheduledRows(
  tx: Tx,
  rows: readonly ScheduledRow[],
): Promise<Map<string, WrittenSchedule>> {
  const col = <T>(f: (r: ScheduledRow) => T) => rows.map(f);
  // Named: prepared once per connection, planned once.
  const { rows: written } = await tx.query<{ event_id: string; due_at: Date; replaced: boolean }>({
    name: 'outstream_schedule_rows',
    text: `INSERT INTO scheduled_events AS s (event_id, schedule_key, due_at, aggregate_type, aggregate_id,
             event_type, actor, traceparent, tracestate, payload)
           SELECT event_id, schedule_key,
                  coalesce(at, clock_timestamp() + in_ms * interval '1 millisecond'),
                  aggregate_type, aggregate_id, event_type, actor, traceparent, tracestate, payload
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::double precision[], $5::text[],
                       $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[])
             AS t(event_id, schedule_key, at, in_ms, aggregate_type, aggregate_id, event_type, actor,
                  traceparent, tracestate, payload)
           ON CONFLICT (schedule_key) DO UPDATE SET
             event_id = EXCLUDED.event_id, due_at = EXCLUDED.due_at, aggregate_type = EXCLUDED.aggregate_type,
             aggregate_id = EXCLUDED.aggregate_id, event_type = EXCLUDED.event_type, actor = EXCLUDED.actor,
             traceparent = EXCLUDED.traceparent, tracestate = EXCLUDED.tracestate, payload = EXCLUDED.payload,
             created_at = now()
           RETURNING event_id, due_at, (xmax <> 0) AS replaced`,
    values: [
      col((r) => r.eventId),
      col((r) => r.key),
      col((r) => ('at' in r.due ? r.due.at : null)),
      col((r) => ('inMs' in r.due ? r.due.inMs : null)),
      col((r) => r.aggregateType),
      col((r) => r.aggregateId),
      col((r) => r.eventType),
      col((r) => r.actor),
      col((r) => r.traceparent),
      col((r) => r.tracestate),
      col((r) => r.payload),
    ],
  });
  return new Map(written.map((r) => [r.event_id, { dueAt: r.due_at, replaced: r.replaced }]));
}
