import { describe, expect, it } from 'vitest';
import { ErrorCode, type InvalidEventError, isOutstreamError } from '../core/errors.ts';
import { type BookingReminderDue, samples, unframe } from '../schemas/index.ts';
import type { Tx } from './emitter.ts';
import { createScheduler } from './schedule.ts';
import type { AnyScheduleItem } from './schedule-input.ts';

// A fake transaction that records each statement: this checks validation and the one round
// trip; the real table, keys and dispatcher are producers/schedule.int.test.ts.
function setup() {
  const calls: { name?: string; values: unknown[][] }[] = [];
  const tx: Tx & { getTransactionStatus(): string } = {
    getTransactionStatus: () => 'T',
    query: (async (q: { name?: string; values: unknown[][] }) => {
      calls.push(q);
      const [ids, , at] = q.values as [string[], unknown, (Date | null)[]];
      return {
        rows: ids.map((id, i) => ({ event_id: id, due_at: at[i] ?? new Date(0), replaced: i === 0 })),
      };
    }) as never,
  };
  return { calls, tx, scheduler: createScheduler({ schemaIds: { idFor: async () => 27 } }) };
}

const reminder = (bookingId: string): BookingReminderDue => ({
  ...samples['booking.reminder_due'],
  bookingId,
});
const id = (n: number) => `0193a5b2-4c1d-7e2f-9a3b-00000000000${n}`;
const item = (n: number, key?: string): AnyScheduleItem => ({
  event: { type: 'booking.reminder_due', aggregateId: id(n), payload: reminder(id(n)) },
  when: { at: new Date(Date.UTC(2026, 11, n)) },
  ...(key === undefined ? {} : { key }),
});

async function issuesOf(work: Promise<unknown>) {
  const e = await work.catch((err: unknown) => err);
  if (!isOutstreamError(e, ErrorCode.invalidEvent)) throw e;
  return (e as InvalidEventError).issues.map((i) => i.path);
}

describe('scheduleMany()', () => {
  it('writes every item with one statement and answers in the order of the items', async () => {
    const { calls, tx, scheduler } = setup();
    const out = await scheduler.scheduleMany(tx, [
      item(1, 'k1'),
      item(2),
      { ...item(3, 'k3'), when: { in: 60_000 } },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.name).toBe('outstream_schedule_rows');
    const [ids, keys, at, inMs, , aggregateIds, types, , , , payloads] = calls[0]!.values;
    expect(out.map((s) => s.eventId)).toEqual(ids);
    expect(keys).toEqual(['k1', null, 'k3']);
    expect(at).toEqual([new Date(Date.UTC(2026, 11, 1)), new Date(Date.UTC(2026, 11, 2)), null]);
    expect(inMs).toEqual([null, null, 60_000]);
    expect(aggregateIds).toEqual([id(1), id(2), id(3)]);
    expect(types).toEqual(['booking.reminder_due', 'booking.reminder_due', 'booking.reminder_due']);
    expect(unframe((payloads as Buffer[])[0]!).schemaId).toBe(27);
    expect(out.map((s) => [s.aggregateId, s.key, s.topic, s.replaced])).toEqual([
      [id(1), 'k1', 'events.booking', true],
      [id(2), null, 'events.booking', false],
      [id(3), 'k3', 'events.booking', false],
    ]);
  });

  it('validates every item before writing anything, naming each bad field with its index', async () => {
    const { calls, tx, scheduler } = setup();
    const paths = await issuesOf(
      scheduler.scheduleMany(tx, [
        item(1),
        { ...item(2), when: { in: Number.NaN } },
        {
          event: { ...item(3).event, payload: { ...reminder(id(3)), remindAt: 'soon' as never } },
          when: { in: 0 },
          key: '',
        } as AnyScheduleItem,
        { ...item(4), event: { ...item(4).event, occurredAt: new Date() } as never },
      ]),
    );
    expect(paths).toEqual(['[1].when.in', '[2].key', '[2].payload.remindAt', '[3].occurredAt']);
    expect(calls).toEqual([]);
  });

  it('refuses a key used twice in one call, naming both uses, and writes nothing', async () => {
    const { calls, tx, scheduler } = setup();
    const e = (await scheduler
      .scheduleMany(tx, [item(1, 'same'), item(2, 'other'), item(3, 'same')])
      .catch((err: unknown) => err)) as InvalidEventError;
    expect(isOutstreamError(e, ErrorCode.invalidEvent)).toBe(true);
    expect(e.issues).toEqual([
      {
        path: '[2].key',
        expected: 'a key used once per scheduleMany call (first at [0])',
        received: '"same"',
      },
    ]);
    expect(e.eventType).toBe('booking.reminder_due');
    expect(calls).toEqual([]);
  });

  it('refuses an unknown type, a missing event, a pool or a non-array; an empty list writes nothing', async () => {
    const { calls, tx, scheduler } = setup();
    const unknown = { ...item(1), event: { ...item(1).event, type: 'booking.teleported' } } as never;
    const e = await scheduler.scheduleMany(tx, [item(2), unknown]).catch((err: unknown) => err);
    expect(isOutstreamError(e, ErrorCode.unknownEventType)).toBe(true);
    expect(await issuesOf(scheduler.scheduleMany(tx, [item(1), { when: { in: 0 } } as never]))).toEqual([
      '[1].event',
    ]);
    const noEvent = { when: { in: 0 }, key: 'k' } as never;
    expect(await issuesOf(scheduler.scheduleMany(tx, [item(1, 'k'), noEvent, null as never]))).toEqual([
      '[1].event',
      '[2].event',
      '[1].key',
    ]);
    const notArray = await scheduler.scheduleMany(tx, item(1) as never).catch((err: unknown) => err);
    expect(isOutstreamError(notArray, ErrorCode.invalidArgument)).toBe(true);
    const pool = { totalCount: 0, query: tx.query };
    await expect(scheduler.scheduleMany(pool as never, [item(1)])).rejects.toThrow(/not a pool/);
    expect(await scheduler.scheduleMany(tx, [])).toEqual([]);
    expect(calls).toEqual([]);
  });
});
