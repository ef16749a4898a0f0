import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cache, createCache } from '../../consumers/cache-invalidation/cache.ts';
import { cacheInvalidation } from '../../consumers/cache-invalidation/definition.ts';
import { cacheKeys } from '../../consumers/cache-invalidation/keys.ts';
import { notifications } from '../../consumers/notifications/definition.ts';
import { loadConfig } from '../../core/config.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSmtpSinkClient, type ReceivedMail } from '../../infra/stack/smtp-sink/client.ts';
import { createEmitter, createScheduler, createSchemaIds, type Dispatcher } from '../../producers/index.ts';
import { decodePayload, unframe } from '../../schemas/index.ts';
import { withTx } from '../../test/db.ts';
import { startTestDispatcher } from '../../test/dispatcher.ts';
import { startTestGroup, type TestGroup } from '../../test/groups.ts';
import type { BookingChangeRefusedError } from './errors.ts';
import { ensureSchema } from './schema.ts';
import { checkInAt, createHotelService, type HotelService, scheduleKeys } from './service.ts';
import { addDays, isoDate } from './stay-dates.ts';

// Reminders that follow the booking, end to end on the real stack: the example hotel service
// (its transactions), a dispatcher, Debezium and Kafka, the notifications group, and the
// stack's SMTP sink, whose stored mails are read back. Each booking's reminder is made to fall
// due seconds from now by choosing the service's lead time for its arrival date.
const config = loadConfig(process.env);
const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
const emitter = createEmitter({ schemaIds });
const scheduler = createScheduler({ schemaIds });
const sink = createSmtpSinkClient(config.smtp.sinkUrl);
const run = randomUUID().slice(0, 8);
const hotelId = `r-${run}`;
const day = 86_400_000;
let pool: pg.Pool;
let redis: Redis;
let cache: Cache;
let dispatcher: Dispatcher;
let group: TestGroup;
let cacheGroup: TestGroup;

/** The service with a reminder lead that makes `checkIn`'s reminder fall due at `dueAt`. */
const serviceDueAt = (checkIn: string, dueAt: number): HotelService =>
  createHotelService({
    pool,
    emitter,
    scheduler,
    cache,
    times: { reminderLeadMs: checkInAt(checkIn) - dueAt, followUpDelayMs: day },
  });

/** A guest of their own (their own mailbox at the sink) with a booking arriving on `checkIn`. */
async function booked(service: HotelService, checkIn: string, label: string) {
  const address = `${label}-${run}@example.test`;
  const guest = await service.registerUser({ name: `Guest ${label}`, email: address, role: 'GUEST' });
  const id = await service.createBooking({
    hotelId,
    guestId: guest.id,
    nights: 2,
    partySize: 1,
    nightly: '99.00',
    checkIn,
  });
  return { id, guestId: guest.id, address };
}

const mailsOf = async (address: string, type: string): Promise<ReceivedMail[]> =>
  (await sink.messages({ to: address })).filter((m) => m.headers['x-outstream-event-type'] === type);
const reminderMails = (address: string) => mailsOf(address, 'booking.reminder_due');

/** The booking's pending reminder: when it is due and the dates it will tell the guest. */
async function pendingReminder(bookingId: string) {
  const { rows } = await pool.query<{ due_at: Date; payload: Buffer }>(
    'SELECT due_at, payload FROM scheduled_events WHERE schedule_key = $1',
    [scheduleKeys.reminder(bookingId)],
  );
  if (!rows[0]) return undefined;
  const p = decodePayload('booking.reminder_due', unframe(rows[0].payload).body);
  return { dueAt: rows[0].due_at.getTime(), checkIn: p.checkInDate, checkOut: p.checkOutDate };
}

/**
 * Everything the notifications group had to do for this booking up to now is done: a
 * follow-up scheduled on the same booking, due now, went through the same dispatcher (which
 * claims in due order) and the same partition, and the group handled it, so any reminder due
 * before it was published and handled (emailed) first.
 */
async function settledNow(bookingId: string, guestId: string, address: string): Promise<void> {
  const s = await withTx(pool, (tx) =>
    scheduler.schedule(
      tx,
      {
        type: 'booking.follow_up_due',
        aggregateId: bookingId,
        actor: 'test:sentinel',
        payload: {
          bookingId,
          reference: 'sentinel',
          hotelId,
          guestId,
          guest: { name: 'Sentinel', email: address },
          checkedOutAt: new Date(),
        },
      },
      { in: 0 },
    ),
  );
  await group.settled([s.eventId], 60_000);
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 8 });
  await ensureSchema(pool);
  redis = new Redis(config.redis.url);
  cache = createCache({ redis });
  group = await startTestGroup(notifications);
  cacheGroup = await startTestGroup(cacheInvalidation);
  dispatcher = await startTestDispatcher(pool, config.database.url);
  // booking.created and booking.cancelled also notify the hotel's staff: the group must know them.
  await createHotelService({ pool, emitter, scheduler, cache }).registerUser({
    name: 'Front Desk',
    email: `desk-${run}@example.test`,
    role: 'STAFF',
    hotelId,
  });
  await waitFor(
    async () =>
      (await pool.query('SELECT 1 FROM notification_users WHERE hotel_id = $1', [hotelId])).rowCount === 1,
    { timeoutMs: 60_000, what: "the notifications group to learn the hotel's staff" },
  );
});
afterAll(async () => {
  await dispatcher?.stop();
  await group?.stop();
  await cacheGroup?.stop();
  await cache?.close();
  redis?.disconnect();
  await pool?.end();
});

describe('booking reminders, end to end', () => {
  it('a confirmed booking: exactly one reminder email to the guest at its time, and one inbox row', async () => {
    const checkIn = addDays(isoDate(Date.now()), 2);
    const dueAt = Date.now() + 3_000;
    const service = serviceDueAt(checkIn, dueAt);
    const b = await booked(service, checkIn, 'confirmed');
    await service.confirmBooking(b.id);
    expect((await pendingReminder(b.id))?.dueAt).toBe(dueAt);

    const [mail] = await waitFor(
      async () => {
        const m = await reminderMails(b.address);
        return m.length > 0 ? m : undefined;
      },
      { timeoutMs: 60_000, what: 'the reminder email' },
    );
    expect(Date.parse(mail!.receivedAt)).toBeGreaterThanOrEqual(dueAt);
    expect(mail!.text).toContain(`Arrival:   ${checkIn}`);
    await settledNow(b.id, b.guestId, b.address);
    expect(await reminderMails(b.address)).toHaveLength(1);
    const { rows } = await pool.query(
      "SELECT title FROM notifications WHERE recipient_id = $1 AND kind = 'BOOKING_REMINDER'",
      [b.guestId],
    );
    expect(rows).toEqual([{ title: `Your stay starts ${checkIn}` }]);
    expect(await pendingReminder(b.id)).toBeUndefined();
  });

  it('the booking moves earlier before the reminder is due: it arrives at the new time only, with the new dates', async () => {
    const oldCheckIn = addDays(isoDate(Date.now()), 3);
    const newCheckIn = addDays(oldCheckIn, -1);
    // The lead puts the moved reminder 4 s from now, and so the original one a day later.
    const newDueAt = Date.now() + 4_000;
    const service = serviceDueAt(newCheckIn, newDueAt);
    const b = await booked(service, oldCheckIn, 'earlier');
    await service.confirmBooking(b.id);
    expect(await pendingReminder(b.id)).toEqual({
      dueAt: newDueAt + day,
      checkIn: oldCheckIn,
      checkOut: addDays(oldCheckIn, 2),
    });

    expect(await service.changeDates(b.id, { checkIn: newCheckIn, checkOut: addDays(newCheckIn, 2) })).toBe(
      true,
    );
    expect(await pendingReminder(b.id)).toEqual({
      dueAt: newDueAt,
      checkIn: newCheckIn,
      checkOut: addDays(newCheckIn, 2),
    });
    const [mail] = await waitFor(
      async () => {
        const m = await reminderMails(b.address);
        return m.length > 0 ? m : undefined;
      },
      { timeoutMs: 60_000, what: 'the moved reminder email' },
    );
    expect(Date.parse(mail!.receivedAt)).toBeGreaterThanOrEqual(newDueAt);
    expect(mail!.subject).toContain(`starts ${newCheckIn}`);
    // The original schedule was replaced, not kept beside it: nothing is left to fire a day later.
    await settledNow(b.id, b.guestId, b.address);
    expect(await pendingReminder(b.id)).toBeUndefined();
    const { rows } = await pool.query('SELECT 1 FROM scheduled_events WHERE aggregate_id = $1', [b.id]);
    expect(rows).toEqual([]);
    expect((await reminderMails(b.address)).map((m) => m.subject)).toEqual([mail!.subject]);
    // The guest was told of the move too: one email with both stays.
    const [moved] = await mailsOf(b.address, 'booking.dates_changed');
    expect(moved!.text).toContain(`Arrival:   ${newCheckIn} (was ${oldCheckIn})`);
  });

  it('the booking moves later before the reminder is due: nothing at the old time, the reminder waits for the new one', async () => {
    const oldCheckIn = addDays(isoDate(Date.now()), 2);
    const newCheckIn = addDays(oldCheckIn, 1);
    const oldDueAt = Date.now() + 3_000;
    const service = serviceDueAt(oldCheckIn, oldDueAt);
    const b = await booked(service, oldCheckIn, 'later');
    await service.confirmBooking(b.id);
    await service.changeDates(b.id, { checkIn: newCheckIn, checkOut: addDays(newCheckIn, 2) }, b.guestId);

    await waitFor(() => Date.now() > oldDueAt + 1_000, {
      timeoutMs: 10_000,
      what: 'a second past the old time',
    });
    await settledNow(b.id, b.guestId, b.address);
    expect(await reminderMails(b.address)).toEqual([]);
    expect(await pendingReminder(b.id)).toEqual({
      dueAt: oldDueAt + day,
      checkIn: newCheckIn,
      checkOut: addDays(newCheckIn, 2),
    });
    expect(await mailsOf(b.address, 'booking.dates_changed')).toHaveLength(1);
    // Cancelled at the end, so no stray reminder fires on this stack tomorrow.
    await service.cancelBooking(b.id, 'GUEST_REQUEST');
    expect(await pendingReminder(b.id)).toBeUndefined();
  });

  it('a cancelled booking gets no reminder', async () => {
    const checkIn = addDays(isoDate(Date.now()), 2);
    const dueAt = Date.now() + 3_000;
    const service = serviceDueAt(checkIn, dueAt);
    const b = await booked(service, checkIn, 'cancelled');
    await service.confirmBooking(b.id);
    expect((await pendingReminder(b.id))?.dueAt).toBe(dueAt);
    await service.cancelBooking(b.id, 'GUEST_REQUEST');
    expect(await pendingReminder(b.id)).toBeUndefined();

    await waitFor(() => Date.now() > dueAt + 1_000, { timeoutMs: 10_000, what: 'a second past due' });
    await settledNow(b.id, b.guestId, b.address);
    expect(await reminderMails(b.address)).toEqual([]);
    expect(await mailsOf(b.address, 'booking.cancelled')).toHaveLength(1);
  });

  it("a moved booking is dropped from the service's cache: the next read shows the new dates", async () => {
    const checkIn = addDays(isoDate(Date.now()), 4);
    const service = serviceDueAt(checkIn, Date.now() + day);
    const b = await booked(service, checkIn, 'cached');
    // booking.created's own invalidation first, so that the fill below is the one dropped.
    await waitFor(async () => (await cache.watermark('booking', b.id)) >= 1, {
      timeoutMs: 60_000,
      what: 'the booking.created invalidation',
    });
    expect((await service.getBooking(b.id, hotelId)).checkIn).toBe(checkIn);
    expect(await cache.has(cacheKeys.booking(b.id))).toBe(true);
    const moved = addDays(checkIn, 2);
    await service.changeDates(b.id, { checkIn: moved, checkOut: addDays(moved, 2) }, b.guestId);
    await waitFor(async () => !(await cache.has(cacheKeys.booking(b.id))), {
      timeoutMs: 60_000,
      what: 'the cache-invalidation group to drop the moved booking',
    });
    // Dropped by booking.dates_changed (the booking's second event), not by its 5-minute TTL.
    expect(await cache.watermark('booking', b.id)).toBe(2);
    expect(await service.getBooking(b.id, hotelId)).toMatchObject({
      checkIn: moved,
      checkOut: addDays(moved, 2),
    });
  });

  it('refuses a move it cannot make, with a typed error, and writes nothing', async () => {
    const checkIn = addDays(isoDate(Date.now()), 5);
    const service = serviceDueAt(checkIn, Date.now() + day);
    const b = await booked(service, checkIn, 'refused');
    await service.confirmBooking(b.id);
    const refused = async (work: Promise<unknown>) => {
      const e = await work.catch((err: unknown) => err);
      expect(isOutstreamError(e, ErrorCode.invalidArgument)).toBe(true);
      return (e as BookingChangeRefusedError).issues.map((i) => i.path);
    };
    const today = isoDate(Date.now());
    expect(await refused(service.changeDates(b.id, { checkIn, checkOut: checkIn }))).toEqual(['checkOut']);
    expect(await refused(service.changeDates(b.id, { checkIn: '2026-02-30', checkOut: 'soon' }))).toEqual([
      'checkIn',
      'checkOut',
    ]);
    expect(
      await refused(service.changeDates(b.id, { checkIn: addDays(today, -1), checkOut: today })),
    ).toEqual(['checkIn']);
    expect(
      await refused(service.changeDates(randomUUID(), { checkIn, checkOut: addDays(checkIn, 1) })),
    ).toEqual(['id']);
    expect(await refused(service.changeDates('BK-1', { checkIn, checkOut: addDays(checkIn, 1) }))).toEqual([
      'id',
    ]);
    const before = await pendingReminder(b.id);
    // Same dates: nothing to do, nothing written.
    expect(await service.changeDates(b.id, { checkIn, checkOut: addDays(checkIn, 2) })).toBe(false);
    await service.cancelBooking(b.id, 'GUEST_REQUEST');
    expect(
      await refused(
        service.changeDates(b.id, { checkIn: addDays(checkIn, 1), checkOut: addDays(checkIn, 3) }),
      ),
    ).toEqual(['status']);
    const { rows } = await pool.query<{ check_in: string; status: string }>(
      "SELECT to_char(check_in, 'YYYY-MM-DD') AS check_in, status FROM hotel_demo.bookings WHERE id = $1",
      [b.id],
    );
    expect(rows).toEqual([{ check_in: checkIn, status: 'CANCELLED' }]);
    expect(before?.checkIn).toBe(checkIn);
    await settledNow(b.id, b.guestId, b.address);
    expect(await mailsOf(b.address, 'booking.dates_changed')).toEqual([]);
  });
});
