/**
 * The names of cache keys and tags, in one place: services pass them to `cache.get` and the
 * invalidation rules name the same ones, so a reader and its invalidation cannot drift
 * apart by a typo.
 *
 * @example
 * await cache.get(cacheKeys.booking(id), { tags: [cacheTags.hotelBookings(hotelId)], loader });
 */
export const cacheKeys = {
  /** One booking as services show it. */
  booking: (bookingId: string) => `booking:${bookingId}`,
  /** One room (status, occupancy). */
  room: (roomId: string) => `room:${roomId}`,
  /** One user's profile. */
  user: (userId: string) => `user:${userId}`,
  /** One chat message. */
  message: (messageId: string) => `message:${messageId}`,
} as const;

/** Tags: groups of keys dropped together. */
export const cacheTags = {
  /** Anything derived from a hotel's bookings (lists, the staff board). */
  hotelBookings: (hotelId: string) => `hotel:${hotelId}:bookings`,
  /** Availability of a hotel's rooms (search results, calendars). */
  hotelAvailability: (hotelId: string) => `hotel:${hotelId}:availability`,
  /** Anything derived from a hotel's rooms (room lists, housekeeping board). */
  hotelRooms: (hotelId: string) => `hotel:${hotelId}:rooms`,
  /** A hotel's staff list. */
  hotelStaff: (hotelId: string) => `hotel:${hotelId}:staff`,
  /** A guest's own bookings ("my trips"). */
  userBookings: (userId: string) => `user:${userId}:bookings`,
  /** A conversation's message list. */
  conversation: (conversationId: string) => `conversation:${conversationId}`,
} as const;
