import type { AnyEvent, Events, EventType } from '../../schemas/index.ts';

/** A stage of the booking funnel. */
export type FunnelStage = 'created' | 'confirmed' | 'checked_in' | 'checked_out' | 'cancelled';

/** A money movement, exact decimal text (never a float) in an ISO-4217 currency. */
export interface Money {
  kind: 'booked' | 'refunded' | 'settled';
  amount: string;
  currency: string;
}

/** What analytics takes from one event's payload. */
export interface Measure {
  /** The hotel the event counts for; null when it belongs to none (counted under `''`). */
  hotelId: string | null;
  funnel?: FunnelStage;
  money?: Money;
}

/** The rule of one event type: its payload, typed by the event map, to a measure. */
export type AnalyticsRule<K extends EventType> = (payload: Events[K]) => Measure;

/**
 * Every event type's rule. The map is total: a new event type in the catalogue does not
 * compile until it has a line here (counting nothing is a decision too), and a rule for an
 * event type or a payload field that does not exist does not compile either.
 */
export const analyticsRules: { readonly [K in EventType]: AnalyticsRule<K> } = {
  'booking.created': (p) => ({ hotelId: p.hotelId, funnel: 'created' }),
  'booking.confirmed': (p) => ({
    hotelId: p.hotelId,
    funnel: 'confirmed',
    money: { kind: 'booked', amount: p.totalAmount, currency: p.currency },
  }),
  'booking.cancelled': (p) => ({
    hotelId: p.hotelId,
    funnel: 'cancelled',
    ...(p.refundAmount === null
      ? {}
      : { money: { kind: 'refunded' as const, amount: p.refundAmount, currency: p.currency } }),
  }),
  'booking.room_assigned': (p) => ({ hotelId: p.hotelId }),
  'booking.checked_in': (p) => ({ hotelId: p.hotelId, funnel: 'checked_in' }),
  'booking.checked_out': (p) => ({
    hotelId: p.hotelId,
    funnel: 'checked_out',
    money: { kind: 'settled', amount: p.finalAmount, currency: p.currency },
  }),
  'booking.reminder_due': (p) => ({ hotelId: p.hotelId }),
  'booking.follow_up_due': (p) => ({ hotelId: p.hotelId }),
  'booking.dates_changed': (p) => ({ hotelId: p.hotelId }),
  'room.status_changed': (p) => ({ hotelId: p.hotelId }),
  'room.occupancy_changed': (p) => ({ hotelId: p.hotelId }),
  'message.created': (p) => ({ hotelId: p.hotelId }),
  'message.edited': () => ({ hotelId: null }),
  'message.deleted': () => ({ hotelId: null }),
  'user.registered': (p) => ({ hotelId: p.hotelId }),
  'user.profile_updated': () => ({ hotelId: null }),
  'notification.created': () => ({ hotelId: null }),
  // Ephemeral events count nothing (analytics reads the outbox's topics only).
  'chat.typing': () => ({ hotelId: null }),
  'chat.read': () => ({ hotelId: null }),
  'chat.reaction': () => ({ hotelId: null }),
  'presence.joined': () => ({ hotelId: null }),
  'presence.left': () => ({ hotelId: null }),
};

/** One event as the aggregation SQL takes it. */
export interface Fact extends Measure {
  eventId: string;
  eventType: EventType;
  /** When the event happened (the envelope's occurred-at): it picks the hour and the day. */
  at: Date;
  topic: string;
  partition: number;
  offset: bigint;
}

/** The fact of an event, by its type's rule. */
export function factOf(event: AnyEvent): Fact {
  const rule = analyticsRules[event.type] as AnalyticsRule<EventType>;
  return {
    ...rule(event.payload),
    eventId: event.id,
    eventType: event.type,
    at: event.occurredAt,
    topic: event.kafka.topic,
    partition: event.kafka.partition,
    offset: event.kafka.offset,
  };
}
