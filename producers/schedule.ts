import {
  ErrorCode,
  type FieldIssue,
  InvalidArgumentError,
  InvalidEventError,
  isOutstreamError,
} from '../core/errors.ts';
import { catalogue, type OutboxEventType } from '../schemas/index.ts';
import { assertInTransaction, type Tx } from './emitter.ts';
import type { AnyEmitInput } from './envelope.ts';
import { type PreparedEvent, prepareEvent, toOutboxRow } from './prepare.ts';
import {
  type AnyScheduleItem,
  checkSchedule,
  type DueSpec,
  duplicateKeys,
  isScheduleKey,
  keyIssue,
  type ScheduleInput,
  type ScheduleOptions,
  type ScheduleWhen,
} from './schedule-input.ts';
import { insertScheduledRows } from './scheduled-rows.ts';
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

/** One schedule validated and encoded, ready to be written. */
interface PreparedSchedule {
  prepared: PreparedEvent;
  due: DueSpec;
  key: string | null;
}

/**
 * Validates and encodes one schedule: the event as `emit()` does it (without `occurredAt` and
 * `idempotencyKey`), `when` and the key.
 *
 * @throws InvalidEventError naming every bad field (paths `when…`, `options.key`, `payload…`).
 */
async function prepareSchedule(
  schemaIds: SchemaIds,
  event: unknown,
  when: unknown,
  options: unknown,
): Promise<PreparedSchedule> {
  const input = event as AnyEmitInput & { idempotencyKey?: unknown; occurredAt?: unknown };
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
  // prepareEvent threw if there was any issue: `due` is set.
  return { prepared, due: due!, key: (options as ScheduleOptions | undefined)?.key ?? null };
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
  async function write(tx: Tx, caller: string, schedules: readonly PreparedSchedule[]): Promise<Scheduled[]> {
    assertInTransaction(tx, caller);
    const rows = schedules.map(({ prepared, due, key }) => {
      const { occurredAt: _, ...row } = toOutboxRow(prepared);
      return { ...row, due, key };
    });
    const written = await insertScheduledRows(tx, rows);
    return schedules.map(({ prepared, key }) => {
      const w = written.get(prepared.eventId)!;
      return {
        eventId: prepared.eventId,
        type: prepared.input.type,
        aggregateId: prepared.input.aggregateId,
        topic: catalogue[prepared.input.type].topic,
        dueAt: w.dueAt,
        key,
        replaced: w.replaced,
      };
    });
  }

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
      const [scheduled] = await write(tx, 'schedule()', [
        await prepareSchedule(schemaIds, event, when, options),
      ]);
      return scheduled!;
    },

    /**
     * Schedules several events in the caller's transaction, with one statement (as `emitMany()`
     * writes its rows). Every item is validated before anything is written; a key may appear
     * once per call (scheduling two events under one key in one call is a mistake, not a
     * replacement). Results are in the order of `items`.
     *
     * @throws InvalidEventError naming every bad field of every item, prefixed with its index
     *   (`[2].when.in`, `[0].payload.remindAt`, `[3].key` for a key used twice), before
     *   anything is written. `eventType` lists the types of the items at fault.
     * @throws UnknownEventTypeError for an item whose type the catalogue does not know.
     * @example
     * await scheduleMany(db, bookings.map((b) => ({
     *   event: { type: 'booking.reminder_due', aggregateId: b.id, payload: reminderOf(b) },
     *   when: { at: remindAt(b) },
     *   key: `booking-reminder:${b.id}`,
     * })));
     */
    async scheduleMany(tx: Tx, items: readonly AnyScheduleItem[]): Promise<Scheduled[]> {
      if (!Array.isArray(items)) {
        throw new InvalidArgumentError([
          `items: expected an array of { event, when, key? }, got ${typeof items}`,
        ]);
      }
      if (items.length === 0) return [];
      const issues: FieldIssue[] = [];
      const types = new Set<string>();
      const settled = await Promise.allSettled(
        items.map(async (item: unknown) => {
          const { event, when, key } = (typeof item === 'object' && item !== null ? item : {}) as {
            event?: unknown;
            when?: unknown;
            key?: unknown;
          };
          if (typeof event !== 'object' || event === null) {
            throw new InvalidEventError('(none)', [
              { path: 'event', expected: 'an event { type, aggregateId, payload }', received: String(event) },
            ]);
          }
          return prepareSchedule(schemaIds, event, when, key === undefined ? undefined : { key });
        }),
      );
      const schedules: PreparedSchedule[] = [];
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') {
          schedules.push(s.value);
          return;
        }
        if (!isOutstreamError(s.reason, ErrorCode.invalidEvent)) throw s.reason;
        const e = s.reason as InvalidEventError;
        types.add(e.eventType);
        for (const issue of e.issues) {
          issues.push({ ...issue, path: `[${i}].${issue.path === 'options.key' ? 'key' : issue.path}` });
        }
      });
      for (const { index, issue } of duplicateKeys(items.map((item) => item?.key))) {
        const event = (items[index] as { event?: { type?: unknown } } | null)?.event;
        if (typeof event?.type === 'string') types.add(event.type);
        issues.push(issue);
      }
      if (issues.length > 0) throw new InvalidEventError([...types].join(', '), issues);
      return write(tx, 'scheduleMany()', schedules);
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
