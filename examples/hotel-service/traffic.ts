import { randomUUID } from 'node:crypto';
import type { CancellationReason } from '../../schemas/index.ts';
import type { HotelService } from './service.ts';
import { addDays, isoDate } from './stay-dates.ts';

const firstNames = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const lastNames = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
];
const messages = [
  'Could we get an extra pillow?',
  'We will arrive around 23:00, is that fine?',
  'Is breakfast included?',
  'Can we leave our bags after check-out?',
];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

interface Stay {
  id: string;
  hotelId: string;
  guestId: string;
  conversationId: string;
  state: 'created' | 'confirmed' | 'checked_in';
  partySize: number;
}

/** Options of {@link createTraffic}. */
export interface TrafficOptions {
  hotels: readonly string[];
  /** Mix in guests whose mail the local SMTP sink refuses (`@reject.test`) or defers (`@flaky.test`). */
  failures: boolean;
}

/** How often an advanced booking is moved to other dates instead (before check-in). */
const moveRate = 0.08;

/**
 * Realistic hotel traffic: guests register and book; bookings get confirmed (or cancelled, or
 * moved to other dates: its reminder moves with it), rooms assigned, guests check in, write to the staff and check out; housekeeping cleans.
 * Each `step()` performs one action through the service (one transaction, one to three
 * events) and says what it did.
 */
export function createTraffic(service: HotelService, o: TrafficOptions) {
  const stays: Stay[] = [];
  const dirtyRooms: { roomId: string; hotelId: string }[] = [];
  let guests = 0;

  async function newBooking(): Promise<string> {
    const hotelId = pick(o.hotels);
    const name = `${pick(firstNames)} ${pick(lastNames)}`;
    guests++;
    const domain = !o.failures
      ? 'example.test'
      : pick(['example.test', 'example.test', 'flaky.test', 'reject.test']);
    const guest = await service.registerUser({
      name,
      email: `${name.split(' ')[0]!.toLowerCase()}.${guests}.${randomUUID().slice(0, 4)}@${domain}`,
      role: 'GUEST',
    });
    const partySize = 1 + Math.floor(Math.random() * 3);
    const id = await service.createBooking({
      hotelId,
      guestId: guest.id,
      nights: 1 + Math.floor(Math.random() * 5),
      partySize,
      nightly: pick(['89.00', '119.50', '149.90', '210.00']),
    });
    stays.push({ id, hotelId, guestId: guest.id, conversationId: randomUUID(), state: 'created', partySize });
    return `${name} booked at hotel ${hotelId}`;
  }

  /** The guest moves the stay 1 to 3 days earlier or later, keeping its length (never before tomorrow). */
  async function move(stay: Stay): Promise<string> {
    const b = await service.getBooking(stay.id, stay.hotelId);
    const tomorrow = isoDate(Date.now() + 86_400_000);
    let shift = (1 + Math.floor(Math.random() * 3)) * (Math.random() < 0.5 ? -1 : 1);
    if (addDays(b.checkIn, shift) < tomorrow) shift = -shift;
    const checkIn = addDays(b.checkIn, shift);
    await service.changeDates(stay.id, { checkIn, checkOut: addDays(b.checkOut, shift) }, stay.guestId);
    return `booking ${stay.id.slice(0, 8)} moved ${shift > 0 ? 'later' : 'earlier'} to ${checkIn}`;
  }

  async function advance(stay: Stay): Promise<string> {
    if (stay.state !== 'checked_in' && Math.random() < moveRate) return move(stay);
    const staff = await service.staffOf(stay.hotelId);
    if (stay.state === 'created') {
      if (Math.random() < 0.15) {
        await service.cancelBooking(stay.id, pick<CancellationReason>(['GUEST_REQUEST', 'PAYMENT_FAILED']));
        stays.splice(stays.indexOf(stay), 1);
        return `booking ${stay.id.slice(0, 8)} cancelled before confirmation`;
      }
      await service.confirmBooking(stay.id);
      stay.state = 'confirmed';
      return `booking ${stay.id.slice(0, 8)} confirmed`;
    }
    if (stay.state === 'confirmed') {
      if (Math.random() < 0.1) {
        await service.cancelBooking(stay.id, 'GUEST_REQUEST');
        stays.splice(stays.indexOf(stay), 1);
        return `booking ${stay.id.slice(0, 8)} cancelled with a refund`;
      }
      if (!(await service.checkIn(stay.id, staff[0] ?? null, stay.partySize)))
        return 'no free room: check-in waits';
      stay.state = 'checked_in';
      return `booking ${stay.id.slice(0, 8)} checked in`;
    }
    if (Math.random() < 0.3 && staff.length > 0) {
      await service.sendMessage({
        from: stay.guestId,
        to: staff,
        hotelId: stay.hotelId,
        bookingId: stay.id,
        conversationId: stay.conversationId,
        body: pick(messages),
      });
      return `guest of ${stay.id.slice(0, 8)} wrote to the staff`;
    }
    const b = await service.getBooking(stay.id, stay.hotelId);
    await service.checkOut(stay.id, pick(['0.00', '12.50', '38.70']));
    if (b.roomId) dirtyRooms.push({ roomId: b.roomId, hotelId: stay.hotelId });
    stays.splice(stays.indexOf(stay), 1);
    return `booking ${stay.id.slice(0, 8)} checked out`;
  }

  return {
    /** Sets up rooms and staff for every hotel (staff are registered once per hotel). */
    async prepare(): Promise<void> {
      for (const hotelId of o.hotels) {
        await service.ensureRooms(hotelId, 20);
        if ((await service.staffOf(hotelId)).length === 0) {
          for (const name of ['Front Desk', 'Night Manager']) {
            await service.registerUser({
              name: `${name} (hotel ${hotelId})`,
              email: `${name.toLowerCase().replace(' ', '-')}.hotel-${hotelId}@example.test`,
              role: 'STAFF',
              hotelId,
            });
          }
        }
      }
    },
    /** One action; returns what happened. */
    async step(): Promise<string> {
      const dirty = dirtyRooms.shift();
      if (dirty && Math.random() < 0.5) {
        const staff = await service.staffOf(dirty.hotelId);
        await service.cleanRoom(dirty.roomId, staff[1] ?? null);
        return `room ${dirty.roomId} cleaned`;
      }
      if (dirty) dirtyRooms.push(dirty);
      if (stays.length < 5 || Math.random() < 0.35) return newBooking();
      return advance(pick(stays));
    },
  };
}
