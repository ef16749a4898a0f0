import type { Events, EventType, GuestContact } from '../schemas/index.ts';

/**
 * Channel routing for realtime clients, as typed code beside the catalogue: which events reach
 * which channels, and what each channel may see of the payload. Pure: no I/O.
 *
 * A route is a template `<kind>:{<payload field>}`; a field holding an array fans the event out
 * to one channel per element, a null field routes nowhere. Its value is the projection: `full`
 * (the whole payload) or a function returning the public view for that channel. A template
 * naming an event type or a field that does not exist does not compile.
 */

/** Channel kinds (seed 004): staff of a hotel, the guest(s) of a booking, one user's own stream. */
export const channelKinds = ['hotel', 'booking', 'user'] as const;
/** A channel kind. */
export type ChannelKind = (typeof channelKinds)[number];

/** A concrete channel, e.g. `hotel:12` or `user:3f2c…`. */
export type Channel = `${ChannelKind}:${string}`;

/** Payload fields that can name a channel: strings, nullable strings and string arrays. */
export type KeyField<P> = {
  [F in keyof P]-?: P[F] extends string | null | readonly string[] ? F : never;
}[keyof P] &
  string;

/** `<kind>:{<field>}` for the fields of payload `P`. */
export type ChannelTemplate<P> = `${ChannelKind}:{${KeyField<P>}}`;

/** The projection of a route: the whole payload, or a function returning the public view. */
export type Projection<K extends EventType> = typeof full | ((payload: Events[K]) => object);

/** The shape every route table has (checked with `satisfies`, which keeps the literal types). */
export type RouteTable = {
  readonly [K in EventType]: { readonly [T in ChannelTemplate<Events[K]>]?: Projection<K> };
};

/** Projection marker: the channel sees the whole payload. */
export const full = 'full';

/** A staff-wide view of a guest: the name is shown on the board, the email stays private. */
function staffGuest<P extends { guest: GuestContact }>(
  payload: P,
): Omit<P, 'guest'> & { guest: { name: string } } {
  const { guest, ...rest } = payload;
  return { ...rest, guest: { name: guest.name } };
}

/**
 * The route table. Order matters: when a connection subscribes to several channels an event
 * reaches, it receives the event once, with the projection of the first route it matches, so
 * list the most revealing route first.
 */
export const routes = {
  'booking.created': { 'booking:{bookingId}': full, 'hotel:{hotelId}': (p) => staffGuest(p) },
  'booking.confirmed': { 'booking:{bookingId}': full, 'hotel:{hotelId}': (p) => staffGuest(p) },
  'booking.cancelled': { 'booking:{bookingId}': full, 'hotel:{hotelId}': (p) => staffGuest(p) },
  'booking.room_assigned': { 'booking:{bookingId}': full, 'hotel:{hotelId}': full },
  'booking.checked_in': { 'booking:{bookingId}': full, 'hotel:{hotelId}': full },
  'booking.checked_out': { 'booking:{bookingId}': full, 'hotel:{hotelId}': full },
  'booking.reminder_due': { 'booking:{bookingId}': full, 'hotel:{hotelId}': (p) => staffGuest(p) },
  'booking.follow_up_due': { 'booking:{bookingId}': full, 'hotel:{hotelId}': (p) => staffGuest(p) },
  'booking.dates_changed': { 'booking:{bookingId}': full, 'hotel:{hotelId}': (p) => staffGuest(p) },
  'room.status_changed': { 'hotel:{hotelId}': full },
  'room.occupancy_changed': { 'hotel:{hotelId}': full },
  // Conversations are private: participants only, never the hotel-wide channel.
  'message.created': { 'user:{recipientIds}': full, 'user:{senderId}': full },
  'message.edited': { 'user:{recipientIds}': full, 'user:{senderId}': full },
  'message.deleted': { 'user:{recipientIds}': full, 'user:{senderId}': full },
  'user.registered': {
    'user:{userId}': full,
    'hotel:{hotelId}': ({ userId, displayName, role, registeredAt }) => ({
      userId,
      displayName,
      role,
      registeredAt,
    }),
  },
  'user.profile_updated': { 'user:{userId}': full },
  'notification.created': { 'user:{recipientId}': full },
  // Ephemeral (publish(), no database write): to the other participants only.
  'chat.typing': { 'user:{recipientIds}': full },
  'chat.read': { 'user:{recipientIds}': full },
  'chat.reaction': { 'user:{recipientIds}': full },
  // Written by the gateway; delivered only to streams whose token's `presence` claim grants
  // the channel (see `presenceEventTypes`).
  'presence.joined': { 'hotel:{hotel}': full, 'booking:{booking}': full, 'user:{user}': full },
  'presence.left': { 'hotel:{hotel}': full, 'booking:{booking}': full, 'user:{user}': full },
} as const satisfies RouteTable;

/**
 * Event types a stream receives on a channel only when its token's `presence` claim grants
 * that channel (its `subscribe` claim alone is not enough): who is online is shown to
 * members, as on Pusher's presence channels.
 */
export const presenceEventTypes: ReadonlySet<EventType> = new Set<EventType>([
  'presence.joined',
  'presence.left',
]);

type Routes = typeof routes;
type ProjectionResult<K extends EventType, V> = V extends typeof full
  ? Events[K]
  : V extends (payload: never) => infer R
    ? R
    : never;

/** What a channel may see of a `K` payload: the union of the projections of `K`'s routes. */
export type PublicPayload<K extends EventType> = {
  [T in keyof Routes[K]]: ProjectionResult<K, Routes[K][T]>;
}[keyof Routes[K]];

/** A value as `JSON.stringify` → `JSON.parse` returns it (dates become ISO strings). */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer E)[]
    ? Wire<E>[]
    : T extends object
      ? { [F in keyof T]: Wire<T[F]> }
      : T;
