import { InvalidArgumentError } from '../core/errors.ts';
import { catalogue, type OutboxEventType } from '../schemas/index.ts';
import { assertInTransaction, type Tx } from './emitter.ts';
import type { AnyEmitInput } from './envelope.ts';
import { prepareEvent, toOutboxRow } from './prepare.ts';
import {
  checkSchedule,
  isScheduleKey,
  keyIssue,
  type ScheduleInput,
  type ScheduleOptions,
  type ScheduleWhen,
} from './schedule-input.ts';
import type { SchemaIds } from './schema-ids.ts';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  schemaIds: SchemaIds;
}

/** What `schedule()` wrote. */
export interface Scheduled {
  /** The id the event will be published with. */
  eventId: string;
  type: OutboxEventType;
  aggregateId: string;
  topic: string;
  /** When it is due (the database's clock for `{ in }`). */
  dueAt: Date;
  key: string | null;
  /** True when a pending schedule with the same key was replaced. */
  replaced: boolean;
}

/**
 * Scheduled events: `schedule(tx, event, when, { key })` writes an event to be published at
 * its due time, in the caller's transaction (a rollback schedules nothing). The event is
 * validated, encoded and framed exactly as `emit()` does it, and checked against the outbox
 * size limit, before anything is written. A dispatcher (`npm run dispatcher`, part of
 * `npm start`) publishes it through the outbox when it is due, exactly once, with the
 * aggregate's next sequence number at that moment.
 *
 * @example
 * const { schedule, cancelScheduled } = createScheduler({ schemaIds });
 * await db.query('BEGIN');
 * await schedule(db, { type: 'booking.reminder_due', aggregateId: id, payload },
 *   { at: new Date(checkIn - 86_400_000) }, { key: `reminder:${id}` });
 * await db.query('COMMIT');
 * // later, when the booking is cancelled, in that transaction:
 * await cancelScheduled(db, `reminder:${id}`);
 */
export function createScheduler({ schemaIds }: SchedulerOptions) {
  return {
    /**
     * Schedules one event in the caller's transaction.
     *
     * @throws InvalidEventError naming every bad field — of the event, `when.at` (not a valid
     *   Date), `when.in` (negative, NaN, infinite), `options.key` (empty, over 255 characters) —
     *   or the size, before anything is written.
     */
    async schedule<K extends OutboxEventType>(
      tx: Tx,
      event: ScheduleInput<K>,
      when: ScheduleWhen,
      options: ScheduleOptions = {},
    ): Promise<Scheduled> {
      const input = event as unknown as AnyEmitInput & { idempotencyKey?: unknown; occurredAt?: unknown };
      const { due, issues } = checkSchedule(when, options, Date.now());
      for (const field of ['idempotencyKey', 'occurredAt'] as const) {
        if (input[field] !== undefined) {
          issues.push({
            path: field,
            expected: `no ${field} on a scheduled event (${field === 'occurredAt' ? 'it occurs when it is published' : 'use options.key'})`,
            received: 'a value',
          });
        }
      }
      const prepared = await prepareEvent(
        schemaIds,
        { ...input, idempotencyKey: undefined, occurredAt: undefined } as AnyEmitInput,
        issues,
      );
      assertInTransaction(tx, 'schedule()');
      const row = toOutboxRow(prepared);
      const key = options.key ?? null;
      const { rows } = await tx.query<{ due_at: Date; replaced: boolean }>({
        name: 'outstream_schedule',
        text: `INSERT INTO scheduled_events AS s (event_id, schedule_key, due_at, aggregate_type, aggregate_id,
                 event_type, actor, traceparent, tracestate, payload)
               VALUES ($1, $2, coalesce($3::timestamptz, clock_timestamp() + $4::double precision * interval '1 millisecond'),
                       $5, $6, $7, $8, $9, $10, $11)
               ON CONFLICT (schedule_key) DO UPDATE SET
                 event_id = EXCLUDED.event_id, due_at = EXCLUDED.due_at, aggregate_type = EXCLUDED.aggregate_type,
                 aggregate_id = EXCLUDED.aggregate_id, event_type = EXCLUDED.event_type, actor = EXCLUDED.actor,
                 traceparent = EXCLUDED.traceparent, tracestate = EXCLUDED.tracestate, payload = EXCLUDED.payload,
                 created_at = now()
               RETURNING due_at, (xmax <> 0) AS replaced`,
        values: [
          row.eventId,
          key,
          due && 'at' in due ? due.at : null,
          due && 'inMs' in due ? due.inMs : null,
          row.aggregateType,
          row.aggregateId,
          row.eventType,
          row.actor,
          row.traceparent,
          row.tracestate,
          row.payload,
        ],
      });
      return {
        eventId: row.eventId,
        type: prepared.input.type,
        aggregateId: row.aggregateId,
        topic: catalogue[prepared.input.type].topic,
        dueAt: rows[0]!.due_at,
        key,
        replaced: rows[0]!.replaced,
      };
    },

    /**
     * Cancels the pending schedule with this key, in the caller's transaction. Returns false
     * when there is none (never scheduled, cancelled, or already published: a dispatcher
     * publishing it right now is waited for).
     *
     * @throws InvalidArgumentError for a key that cannot be one (empty, over 255 characters).
     */
    async cancelScheduled(tx: Tx, key: string): Promise<boolean> {
      if (!isScheduleKey(key)) {
        const i = keyIssue(key, 'key');
        throw new InvalidArgumentError([`${i.path}: expected ${i.expected}, got ${i.received}`]);
      }
      assertInTransaction(tx, 'cancelScheduled()');
      const { rowCount } = await tx.query({
        name: 'outstream_cancel_scheduled',
        text: 'DELETE FROM scheduled_events WHERE schedule_key = $1',
        values: [key],
      });
      return (rowCount ?? 0) > 0;
    },
  };
}

/** The scheduler {@link createScheduler} returns. */
export type Scheduler = ReturnType<typeof createScheduler>;
