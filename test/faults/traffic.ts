import { randomUUID } from 'node:crypto';
import type { AnyEmitInput } from '../../producers/index.ts';
import { type RoomStatus, samples } from '../../schemas/index.ts';

/** What the load emits: hotels (channels), and how many rooms each has (long-lived aggregates). */
export interface TrafficPlan {
  hotels: readonly string[];
  roomsPerHotel: number;
}

interface Booking {
  id: string;
  hotelId: string;
  guestId: string;
  email: string;
  step: 0 | 1 | 2 | 3;
  amount: string;
  busy: boolean;
}

const stages = ['booking.created', 'booking.confirmed', 'booking.checked_in', 'booking.checked_out'] as const;
const roomCycle: readonly RoomStatus[] = [
  'READY_FOR_GUEST',
  'OCCUPIED',
  'CHECKOUT_DIRTY',
  'CLEANING_IN_PROGRESS',
  'CLEANED_UNINSPECTED',
];

/** One event to emit, and what to do once its transaction committed or failed. */
export interface Planned {
  event: AnyEmitInput;
  hotelId: string;
  committed(): void;
  failed(): void;
}

/**
 * The fault suite's event mix, one event per transaction: bookings that go through created →
 * confirmed → checked in → checked out (four events on one aggregate, with money in two of
 * them), and room status changes on a few rooms per hotel (aggregates with hundreds of events,
 * where per-aggregate order is easy to break). A booking advances only after its previous
 * event committed, and never has two transactions in flight, as a real service's would.
 */
export function createTraffic(plan: TrafficPlan) {
  const open: Booking[] = [];
  const rooms = plan.hotels.flatMap((hotelId) =>
    Array.from({ length: plan.roomsPerHotel }, (_, r) => ({ hotelId, id: `${hotelId}-r${r}`, status: 0 })),
  );
  let n = 0;

  function roomChange(): Planned {
    const room = rooms[n % rooms.length]!;
    const from = roomCycle[room.status % roomCycle.length]!;
    const to = roomCycle[(room.status + 1) % roomCycle.length]!;
    room.status++;
    return {
      hotelId: room.hotelId,
      event: {
        type: 'room.status_changed',
        aggregateId: room.id,
        payload: {
          ...samples['room.status_changed'],
          roomId: room.id,
          hotelId: room.hotelId,
          roomNumber: room.id.slice(room.id.lastIndexOf('-r') + 2),
          previousStatus: from,
          status: to,
          changedBy: null,
          changedAt: new Date(),
        },
      },
      committed: () => {},
      // The status did not change: the next event says the same transition again.
      failed: () => {
        room.status--;
      },
    };
  }

  function bookingEvent(b: Booking): Planned {
    b.busy = true;
    const type = stages[b.step];
    const common = { bookingId: b.id, hotelId: b.hotelId, guestId: b.guestId };
    const guest = { name: `Guest ${b.guestId.slice(0, 8)}`, email: b.email };
    const at = new Date();
    const event: AnyEmitInput =
      type === 'booking.created'
        ? {
            type,
            aggregateId: b.id,
            payload: { ...samples[type], ...common, guest, totalAmount: b.amount, createdAt: at },
          }
        : type === 'booking.confirmed'
          ? {
              type,
              aggregateId: b.id,
              payload: { ...samples[type], ...common, guest, totalAmount: b.amount, confirmedAt: at },
            }
          : type === 'booking.checked_in'
            ? { type, aggregateId: b.id, payload: { ...samples[type], ...common, checkedInAt: at } }
            : {
                type,
                aggregateId: b.id,
                payload: { ...samples[type], ...common, finalAmount: b.amount, checkedOutAt: at },
              };
    return {
      hotelId: b.hotelId,
      event,
      committed: () => {
        b.busy = false;
        if (b.step === 3) open.splice(open.indexOf(b), 1);
        else b.step = (b.step + 1) as Booking['step'];
      },
      failed: () => {
        b.busy = false;
      },
    };
  }

  return {
    /** The next event of the mix. */
    next(): Planned {
      n++;
      if (n % 3 === 0) return roomChange();
      const idle = open.filter((b) => !b.busy);
      if (idle.length < 20 || n % 4 === 0) {
        const guestId = randomUUID();
        const b: Booking = {
          id: randomUUID(),
          hotelId: plan.hotels[n % plan.hotels.length]!,
          guestId,
          email: `guest-${guestId.slice(0, 13)}@example.test`,
          step: 0,
          amount: `${100 + (n % 300)}.${String(n % 100).padStart(2, '0')}`,
          busy: false,
        };
        open.push(b);
        return bookingEvent(b);
      }
      return bookingEvent(idle[n % idle.length]!);
    },
  };
}
