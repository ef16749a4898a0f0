import type { EventOf, Events, EventType } from '../../schemas/index.ts';
import { cacheKeys as k, cacheTags as t } from './keys.ts';

/** What one event drops from the cache. */
export interface Invalidation {
  keys?: string[];
  tags?: string[];
}

/** The rule of one event type: its payload (typed by the event map) and envelope → what to drop. */
export type InvalidationRule<K extends EventType> = (payload: Events[K], event: EventOf<K>) => Invalidation;

/** Rules keyed by event type; an event type or payload field that does not exist does not compile. */
export type InvalidationRules = { readonly [K in EventType]?: InvalidationRule<K> };

/**
 * What each event makes stale. Event types without a rule are skipped (and counted): add a
 * line here when a service starts caching something an event changes.
 */
export const invalidationRules = {
  'booking.created': (p) => ({
    keys: [k.booking(p.bookingId)],
    tags: [t.hotelBookings(p.hotelId), t.hotelAvailability(p.hotelId), t.userBookings(p.guestId)],
  }),
  'booking.confirmed': (p) => ({
    keys: [k.booking(p.bookingId)],
    tags: [t.hotelBookings(p.hotelId), t.hotelAvailability(p.hotelId), t.userBookings(p.guestId)],
  }),
  'booking.cancelled': (p) => ({
    keys: [k.booking(p.bookingId)],
    tags: [t.hotelBookings(p.hotelId), t.hotelAvailability(p.hotelId), t.userBookings(p.guestId)],
  }),
  // The stay moved: the booking and the nights it holds (availability) are stale.
  'booking.dates_changed': (p) => ({
    keys: [k.booking(p.bookingId)],
    tags: [t.hotelBookings(p.hotelId), t.hotelAvailability(p.hotelId), t.userBookings(p.guestId)],
  }),
  'booking.room_assigned': (p) => ({
    keys: [k.booking(p.bookingId), k.room(p.roomId), ...(p.previousRoomId ? [k.room(p.previousRoomId)] : [])],
    tags: [t.hotelBookings(p.hotelId), t.hotelRooms(p.hotelId)],
  }),
  'booking.checked_in': (p) => ({
    keys: [k.booking(p.bookingId), k.room(p.roomId)],
    tags: [t.hotelBookings(p.hotelId), t.hotelRooms(p.hotelId), t.userBookings(p.guestId)],
  }),
  'booking.checked_out': (p) => ({
    keys: [k.booking(p.bookingId), k.room(p.roomId)],
    tags: [
      t.hotelBookings(p.hotelId),
      t.hotelRooms(p.hotelId),
      t.hotelAvailability(p.hotelId),
      t.userBookings(p.guestId),
    ],
  }),
  'room.status_changed': (p) => ({
    keys: [k.room(p.roomId)],
    tags: [t.hotelRooms(p.hotelId), t.hotelAvailability(p.hotelId)],
  }),
  'room.occupancy_changed': (p) => ({
    keys: [k.room(p.roomId)],
    tags: [t.hotelRooms(p.hotelId)],
  }),
  'message.created': (p) => ({ keys: [k.message(p.messageId)], tags: [t.conversation(p.conversationId)] }),
  'message.edited': (p) => ({ keys: [k.message(p.messageId)], tags: [t.conversation(p.conversationId)] }),
  'message.deleted': (p) => ({ keys: [k.message(p.messageId)], tags: [t.conversation(p.conversationId)] }),
  'user.registered': (p) => ({ keys: [k.user(p.userId)], tags: p.hotelId ? [t.hotelStaff(p.hotelId)] : [] }),
  'user.profile_updated': (p) => ({ keys: [k.user(p.userId)] }),
} as const satisfies InvalidationRules;
