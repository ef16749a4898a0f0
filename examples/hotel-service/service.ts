import type pg from 'pg';
import { v4 as uuidv4 } from 'uuid';
import type { Cache } from '../../consumers/cache-invalidation/cache.ts';
import { cacheKeys, cacheTags } from '../../consumers/cache-invalidation/keys.ts';
import type { Emitter, Scheduler, Tx } from '../../producers/index.ts';
import type { BookingStatus, CancellationReason, RoomStatus } from '../../schemas/index.ts';
import { BookingChangeRefusedError } from './errors.ts';
import { isoDate, type StayDates, stayDateIssues } from './stay-dates.ts';

/** A booking as the service shows it (what it caches). */
export interface BookingView {
  id: string;
  reference: string;
  hotelId: string;
  guestId: string;
  status: BookingStatus;
  checkIn: string;
  checkOut: string;
  total: string;
  currency: string;
  roomId: string | null;
}

interface Guest {
  id: string;
  name: string;
  email: string;
}

const day = 86_400_000;
/** Check-in time of the example hotels (their calendar dates are kept in UTC): 14:00 on the arrival date. */
export const checkInAt = (date: string): number => Date.parse(`${date}T14:00:00Z`);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Booking states whose dates may still change: the stay has not begun and is not cancelled. */
const movable: readonly BookingStatus[] = ['PENDING_PAYMENT', 'CONFIRMED'];

/** When the service's scheduled events fall due. */
export interface ReminderTimes {
  /** How long before check-in the guest is reminded (default 24 h). */
  reminderLeadMs: number;
  /** How long after check-out the guest is asked how it was (default 24 h). */
  followUpDelayMs: number;
}

/** The fields every booking event addressed to its guest starts with. */
function bookingParties(b: BookingView, guest: Guest) {
  return {
    bookingId: b.id,
    reference: b.reference,
    hotelId: b.hotelId,
    guestId: b.guestId,
    guest: { name: guest.name, email: guest.email },
  };
}

/** The keys of a booking's schedules: one pending reminder and one pending follow-up per booking. */
export const scheduleKeys = {
  reminder: (bookingId: string) => `booking-reminder:${bookingId}`,
  followUp: (bookingId: string) => `booking-follow-up:${bookingId}`,
} as const;

/**
 * A small hotel service in the style Outstream expects: every state change and its event are
 * written in one transaction through `emit()`; reads go through the read-through cache,
 * whose entries the cache-invalidation group drops when the events arrive. Reminders are
 * scheduled events (`schedule()`), written in the same transactions: one before check-in
 * (scheduled at confirmation, moved with the booking's dates, cancelled with the booking or by
 * an early check-in), and a follow-up after check-out.
 */
export function createHotelService({
  pool,
  emitter,
  scheduler,
  cache,
  times = { reminderLeadMs: day, followUpDelayMs: day },
}: {
  pool: pg.Pool;
  emitter: Emitter;
  scheduler: Scheduler;
  cache: Cache;
  times?: ReminderTimes;
}) {
  const { emit } = emitter;
  const { schedule, cancelScheduled } = scheduler;

  async function tx<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const r = await work(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async function bookingRow(c: Pick<pg.ClientBase, 'query'>, id: string, lock = false): Promise<BookingView> {
    const { rows } = await c.query<{
      id: string;
      reference: string;
      hotel_id: string;
      guest_id: string;
      status: BookingStatus;
      check_in: string;
      check_out: string;
      total: string;
      currency: string;
      room_id: string | null;
    }>(
      `SELECT id, reference, hotel_id, guest_id, status, to_char(check_in, 'YYYY-MM-DD') AS check_in,
              to_char(check_out, 'YYYY-MM-DD') AS check_out, total::text, currency, room_id
       FROM hotel_demo.bookings WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    const r = rows[0];
    if (!r) throw new Error(`no booking ${id}`);
    return {
      id: r.id,
      reference: r.reference,
      hotelId: r.hotel_id,
      guestId: r.guest_id,
      status: r.status,
      checkIn: r.check_in,
      checkOut: r.check_out,
      total: r.total,
      currency: r.currency,
      roomId: r.room_id,
    };
  }

  async function guestOf(c: Pick<pg.ClientBase, 'query'>, id: string): Promise<Guest> {
    const { rows } = await c.query<Guest>('SELECT id, name, email FROM hotel_demo.users WHERE id = $1', [id]);
    if (!rows[0]) throw new Error(`no user ${id}`);
    return rows[0];
  }

  /**
   * Schedules (or moves: same key) the reminder of a confirmed booking, in the caller's
   * transaction. A check-in sooner than the lead time is reminded of at once.
   */
  async function scheduleReminder(c: Tx, b: BookingView, guest: Guest) {
    const remindAt = new Date(checkInAt(b.checkIn) - times.reminderLeadMs);
    return schedule(
      c,
      {
        type: 'booking.reminder_due',
        aggregateId: b.id,
        actor: 'system:reminders',
        payload: {
          ...bookingParties(b, guest),
          checkInDate: b.checkIn,
          checkOutDate: b.checkOut,
          remindAt,
        },
      },
      { at: remindAt },
      { key: scheduleKeys.reminder(b.id) },
    );
  }

  return {
    /** Registers a guest or a staff member. */
    registerUser(u: { name: string; email: string; role: 'GUEST' | 'STAFF'; hotelId?: string }) {
      const id = uuidv4();
      return tx(async (c) => {
        await c.query(
          'INSERT INTO hotel_demo.users (id, email, name, role, hotel_id) VALUES ($1, $2, $3, $4, $5)',
          [id, u.email, u.name, u.role, u.hotelId ?? null],
        );
        await emit(c, {
          type: 'user.registered',
          aggregateId: id,
          actor: `user:${id}`,
          payload: {
            userId: id,
            email: u.email,
            displayName: u.name,
            role: u.role,
            hotelId: u.hotelId ?? null,
            locale: 'en',
            registeredAt: new Date(),
          },
        });
        return { id, ...u };
      });
    },

    /** The staff of a hotel this service knows. */
    async staffOf(hotelId: string): Promise<string[]> {
      const { rows } = await pool.query<{ id: string }>(
        "SELECT id FROM hotel_demo.users WHERE hotel_id = $1 AND role = 'STAFF' ORDER BY id",
        [hotelId],
      );
      return rows.map((r) => r.id);
    },

    /** Makes sure a hotel has `count` rooms (ids `<hotel>-<number>`). */
    async ensureRooms(hotelId: string, count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 1; i <= count; i++) {
        const number = String(100 * Math.ceil(i / 10) + (i % 10 || 10));
        const id = `${hotelId}-${number}`;
        await pool.query(
          `INSERT INTO hotel_demo.rooms (id, hotel_id, number, status) VALUES ($1, $2, $3, 'READY_FOR_GUEST')
           ON CONFLICT (id) DO NOTHING`,
          [id, hotelId, number],
        );
        ids.push(id);
      }
      return ids;
    },

    /** Creates a booking (pending payment), arriving on `checkIn` or else in 3 to 32 days. */
    createBooking(b: {
      hotelId: string;
      guestId: string;
      nights: number;
      partySize: number;
      nightly: string;
      checkIn?: string;
    }) {
      const id = uuidv4();
      return tx(async (c) => {
        const guest = await guestOf(c, b.guestId);
        const seq = (await c.query<{ n: string }>("SELECT nextval('hotel_demo.booking_ref') AS n")).rows[0]!
          .n;
        const reference = `BK-${new Date().getUTCFullYear()}-${seq.padStart(5, '0')}`;
        const checkIn = b.checkIn ?? isoDate(Date.now() + (3 + Math.floor(Math.random() * 30)) * day);
        const checkOut = isoDate(Date.parse(checkIn) + b.nights * day);
        const total = ((Number(b.nightly) * 100 * b.nights) / 100).toFixed(2);
        await c.query(
          `INSERT INTO hotel_demo.bookings (id, reference, hotel_id, guest_id, status, check_in, check_out, party_size, total, currency)
           VALUES ($1, $2, $3, $4, 'PENDING_PAYMENT', $5, $6, $7, $8, 'EUR')`,
          [id, reference, b.hotelId, b.guestId, checkIn, checkOut, b.partySize, total],
        );
        await emit(c, {
          type: 'booking.created',
          aggregateId: id,
          actor: `user:${b.guestId}`,
          payload: {
            bookingId: id,
            reference,
            hotelId: b.hotelId,
            guestId: b.guestId,
            guest: { name: guest.name, email: guest.email },
            status: 'PENDING_PAYMENT',
            checkInDate: checkIn,
            checkOutDate: checkOut,
            partySize: b.partySize,
            totalAmount: total,
            currency: 'EUR',
            specialRequests: Math.random() < 0.3 ? 'Late arrival, around 23:00.' : null,
            createdAt: new Date(),
          },
        });
        return id;
      });
    },

    /** Reads a booking through the cache (filled on a miss; dropped by the invalidation group). */
    getBooking(id: string, hotelId: string): Promise<BookingView> {
      return cache.get(cacheKeys.booking(id), {
        tags: [cacheTags.hotelBookings(hotelId)],
        loader: () => bookingRow(pool, id),
      });
    },

    confirmBooking(id: string) {
      return tx(async (c) => {
        const b = await bookingRow(c, id, true);
        const guest = await guestOf(c, b.guestId);
        await c.query(
          "UPDATE hotel_demo.bookings SET status = 'CONFIRMED', updated_at = now() WHERE id = $1",
          [id],
        );
        await scheduleReminder(c, b, guest);
        await emit(c, {
          type: 'booking.confirmed',
          aggregateId: id,
          actor: 'system:payments',
          payload: {
            ...bookingParties(b, guest),
            checkInDate: b.checkIn,
            checkOutDate: b.checkOut,
            totalAmount: b.total,
            currency: b.currency,
            confirmedBy: null,
            confirmedAt: new Date(),
          },
        });
      });
    },

    /**
     * Moves a booking to new dates: updates it, emits `booking.dates_changed` and, for a
     * confirmed booking, moves its reminder (the same key: the pending one is replaced, or a
     * new one scheduled if it already fired) — all in one transaction. The price is kept (the
     * example has no rates). Returns false when the dates are the ones it has (nothing written).
     *
     * @throws BookingChangeRefusedError, with nothing written, for malformed dates, an arrival
     *   before today, a departure not after the arrival, an unknown booking, or one that is
     *   cancelled, checked in or checked out.
     */
    changeDates(id: string, dates: StayDates, changedBy: string | null = null): Promise<boolean> {
      const issues = stayDateIssues(dates, isoDate(Date.now()));
      if (!uuidPattern.test(id)) {
        issues.unshift({
          path: 'id',
          expected: 'a booking id (UUID)',
          received: JSON.stringify(id).slice(0, 60),
        });
      }
      if (issues.length > 0) return Promise.reject(new BookingChangeRefusedError(id, issues));
      return tx(async (c) => {
        const { rows } = await c.query<{ status: BookingStatus }>(
          'SELECT status FROM hotel_demo.bookings WHERE id = $1 FOR UPDATE',
          [id],
        );
        const status = rows[0]?.status;
        if (status === undefined) {
          throw new BookingChangeRefusedError(id, [
            { path: 'id', expected: 'a booking of this service', received: JSON.stringify(id) },
          ]);
        }
        if (!movable.includes(status)) {
          throw new BookingChangeRefusedError(id, [
            {
              path: 'status',
              expected: `one of ${movable.join(', ')} (the stay has not begun)`,
              received: status,
            },
          ]);
        }
        const before = await bookingRow(c, id);
        if (before.checkIn === dates.checkIn && before.checkOut === dates.checkOut) return false;
        await c.query(
          'UPDATE hotel_demo.bookings SET check_in = $2, check_out = $3, updated_at = now() WHERE id = $1',
          [id, dates.checkIn, dates.checkOut],
        );
        const b = { ...before, checkIn: dates.checkIn, checkOut: dates.checkOut };
        const guest = await guestOf(c, b.guestId);
        if (b.status === 'CONFIRMED') await scheduleReminder(c, b, guest);
        await emit(c, {
          type: 'booking.dates_changed',
          aggregateId: id,
          actor: changedBy === null ? 'system:bookings' : `user:${changedBy}`,
          payload: {
            ...bookingParties(b, guest),
            previousCheckInDate: before.checkIn,
            previousCheckOutDate: before.checkOut,
            checkInDate: b.checkIn,
            checkOutDate: b.checkOut,
            changedBy,
            changedAt: new Date(),
          },
        });
        return true;
      });
    },

    cancelBooking(id: string, reason: CancellationReason) {
      return tx(async (c) => {
        const b = await bookingRow(c, id, true);
        const guest = await guestOf(c, b.guestId);
        await c.query(
          "UPDATE hotel_demo.bookings SET status = 'CANCELLED', updated_at = now() WHERE id = $1",
          [id],
        );
        await cancelScheduled(c, scheduleKeys.reminder(id));
        const refund = b.status === 'CONFIRMED' ? ((Number(b.total) * 80) / 100).toFixed(2) : null;
        await emit(c, {
          type: 'booking.cancelled',
          aggregateId: id,
          actor: `user:${b.guestId}`,
          payload: {
            ...bookingParties(b, guest),
            previousStatus: b.status,
            reason,
            note: null,
            refundAmount: refund,
            currency: b.currency,
            cancelledBy: b.guestId,
            cancelledAt: new Date(),
          },
        });
      });
    },

    /** Assigns a free room, checks the guests in (booking + room events in one transaction). */
    checkIn(id: string, staffId: string | null, partySize: number) {
      return tx(async (c) => {
        const b = await bookingRow(c, id, true);
        const { rows } = await c.query<{ id: string; number: string; status: RoomStatus }>(
          `SELECT id, number, status FROM hotel_demo.rooms WHERE hotel_id = $1 AND status = 'READY_FOR_GUEST'
           ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [b.hotelId],
        );
        const room = rows[0];
        if (!room) return false;
        // An early arrival: the reminder has nothing left to say.
        await cancelScheduled(c, scheduleKeys.reminder(id));
        await c.query("UPDATE hotel_demo.bookings SET status = 'CHECKED_IN', room_id = $2 WHERE id = $1", [
          id,
          room.id,
        ]);
        await c.query(
          "UPDATE hotel_demo.rooms SET status = 'OCCUPIED', occupants = $2, booking_id = $3 WHERE id = $1",
          [room.id, partySize, id],
        );
        const now = new Date();
        const common = {
          bookingId: id,
          hotelId: b.hotelId,
          guestId: b.guestId,
          roomId: room.id,
          roomNumber: room.number,
        };
        await emitter.emitMany(c, [
          {
            type: 'booking.room_assigned',
            aggregateId: id,
            payload: { ...common, previousRoomId: null, assignedBy: staffId, assignedAt: now },
          },
          {
            type: 'booking.checked_in',
            aggregateId: id,
            payload: { ...common, partySize, checkedInAt: now },
          },
          {
            type: 'room.occupancy_changed',
            aggregateId: room.id,
            payload: {
              roomId: room.id,
              hotelId: b.hotelId,
              roomNumber: room.number,
              occupied: true,
              occupantCount: partySize,
              bookingId: id,
              changedAt: now,
            },
          },
        ]);
        return true;
      });
    },

    /** Checks out with a final bill (extras on top of the booking), frees the room for housekeeping. */
    checkOut(id: string, extras: string) {
      return tx(async (c) => {
        const b = await bookingRow(c, id, true);
        if (!b.roomId) return;
        const { rows } = await c.query<{ number: string }>(
          'SELECT number FROM hotel_demo.rooms WHERE id = $1',
          [b.roomId],
        );
        const number = rows[0]!.number;
        const final = ((Number(b.total) * 100 + Number(extras) * 100) / 100).toFixed(2);
        const guest = await guestOf(c, b.guestId);
        await c.query("UPDATE hotel_demo.bookings SET status = 'CHECKED_OUT' WHERE id = $1", [id]);
        await c.query(
          "UPDATE hotel_demo.rooms SET status = 'CHECKOUT_DIRTY', occupants = 0, booking_id = NULL WHERE id = $1",
          [b.roomId],
        );
        const now = new Date();
        await schedule(
          c,
          {
            type: 'booking.follow_up_due',
            aggregateId: id,
            actor: 'system:reminders',
            payload: {
              ...bookingParties(b, guest),
              checkedOutAt: now,
            },
          },
          { in: times.followUpDelayMs },
          { key: scheduleKeys.followUp(id) },
        );
        await emitter.emitMany(c, [
          {
            type: 'booking.checked_out',
            aggregateId: id,
            payload: {
              bookingId: id,
              hotelId: b.hotelId,
              guestId: b.guestId,
              roomId: b.roomId,
              roomNumber: number,
              finalAmount: final,
              currency: b.currency,
              checkedOutAt: now,
            },
          },
          {
            type: 'room.occupancy_changed',
            aggregateId: b.roomId,
            payload: {
              roomId: b.roomId,
              hotelId: b.hotelId,
              roomNumber: number,
              occupied: false,
              occupantCount: 0,
              bookingId: null,
              changedAt: now,
            },
          },
          {
            type: 'room.status_changed',
            aggregateId: b.roomId,
            payload: {
              roomId: b.roomId,
              hotelId: b.hotelId,
              roomNumber: number,
              previousStatus: 'OCCUPIED',
              status: 'CHECKOUT_DIRTY',
              changedBy: null,
              note: null,
              changedAt: now,
            },
          },
        ]);
      });
    },

    /** Housekeeping makes a dirty room ready again. */
    cleanRoom(roomId: string, staffId: string | null) {
      return tx(async (c) => {
        const { rows } = await c.query<{ hotel_id: string; number: string; status: RoomStatus }>(
          'SELECT hotel_id, number, status FROM hotel_demo.rooms WHERE id = $1 FOR UPDATE',
          [roomId],
        );
        const r = rows[0];
        if (r?.status !== 'CHECKOUT_DIRTY') return;
        await c.query("UPDATE hotel_demo.rooms SET status = 'READY_FOR_GUEST' WHERE id = $1", [roomId]);
        await emit(c, {
          type: 'room.status_changed',
          aggregateId: roomId,
          payload: {
            roomId,
            hotelId: r.hotel_id,
            roomNumber: r.number,
            previousStatus: 'CHECKOUT_DIRTY',
            status: 'READY_FOR_GUEST',
            changedBy: staffId,
            note: null,
            changedAt: new Date(),
          },
        });
      });
    },

    /** A guest writes to the hotel's staff about a booking. */
    sendMessage(m: {
      from: string;
      to: string[];
      hotelId: string;
      bookingId: string;
      conversationId: string;
      body: string;
    }) {
      const id = uuidv4();
      return tx(async (c) => {
        await emit(c, {
          type: 'message.created',
          aggregateId: m.conversationId,
          actor: `user:${m.from}`,
          payload: {
            messageId: id,
            conversationId: m.conversationId,
            senderId: m.from,
            recipientIds: m.to,
            hotelId: m.hotelId,
            bookingId: m.bookingId,
            body: m.body,
            attachments: [],
            sentAt: new Date(),
          },
        });
        return id;
      });
    },
  };
}

/** The service {@link createHotelService} returns. */
export type HotelService = ReturnType<typeof createHotelService>;
