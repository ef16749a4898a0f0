import type { Events, EventType } from './generated/events.ts';

const hotelId = '1';
const bookingId = '0193a5b2-4c1d-7e2f-9a3b-5c6d7e8f9012';
const guestId = '0193a5b0-11aa-7bcd-8e00-aa11bb22cc33';
const staffId = '0193a4f0-9d8c-7b6a-8f50-4e3d2c1b0a99';
const conversationId = '0193a5c0-2222-7333-8444-555566667777';
const messageId = '0193a5c1-aaaa-7bbb-8ccc-ddddeeeeffff';
const guest = { name: 'Ada Lovelace', email: 'ada@example.com' };

/**
 * One valid, realistic payload per event type (one stay of one guest at hotel 1), for
 * unit and integration tests and benchmarks. Treat as read-only: copy before changing.
 *
 * @example
 * encodePayload('booking.created', samples['booking.created']);
 */
export const samples: { [K in EventType]: Events[K] } = {
  'booking.created': {
    bookingId,
    reference: 'BK-2025-00042',
    hotelId,
    guestId,
    guest,
    status: 'PENDING_PAYMENT',
    checkInDate: '2025-07-01',
    checkOutDate: '2025-07-04',
    partySize: 2,
    totalAmount: '361.50',
    currency: 'EUR',
    specialRequests: 'Late arrival, around 23:00.',
    createdAt: new Date('2025-06-02T09:14:03.120Z'),
  },
  'booking.confirmed': {
    bookingId,
    reference: 'BK-2025-00042',
    hotelId,
    guestId,
    guest,
    checkInDate: '2025-07-01',
    checkOutDate: '2025-07-04',
    totalAmount: '361.50',
    currency: 'EUR',
    confirmedBy: null,
    confirmedAt: new Date('2025-06-02T09:15:40.007Z'),
  },
  'booking.cancelled': {
    bookingId,
    reference: 'BK-2025-00042',
    hotelId,
    guestId,
    guest,
    previousStatus: 'CONFIRMED',
    reason: 'GUEST_REQUEST',
    note: 'Flight cancelled.',
    refundAmount: '300.00',
    currency: 'EUR',
    cancelledBy: guestId,
    cancelledAt: new Date('2025-06-20T17:02:11.500Z'),
  },
  'booking.room_assigned': {
    bookingId,
    hotelId,
    guestId,
    roomId: '318',
    roomNumber: '204',
    previousRoomId: null,
    assignedBy: staffId,
    assignedAt: new Date('2025-07-01T12:30:00.000Z'),
  },
  'booking.checked_in': {
    bookingId,
    hotelId,
    guestId,
    roomId: '318',
    roomNumber: '204',
    partySize: 2,
    checkedInAt: new Date('2025-07-01T22:51:09.300Z'),
  },
  'booking.checked_out': {
    bookingId,
    hotelId,
    guestId,
    roomId: '318',
    roomNumber: '204',
    finalAmount: '398.20',
    currency: 'EUR',
    checkedOutAt: new Date('2025-07-04T10:05:44.010Z'),
  },
  'booking.reminder_due': {
    bookingId,
    reference: 'BK-2025-00042',
    hotelId,
    guestId,
    guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
    checkInDate: '2025-07-01',
    checkOutDate: '2025-07-04',
    remindAt: new Date('2025-06-30T14:00:00.000Z'),
  },
  'booking.follow_up_due': {
    bookingId,
    reference: 'BK-2025-00042',
    hotelId,
    guestId,
    guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
    checkedOutAt: new Date('2025-07-04T10:05:44.010Z'),
  },
  'room.status_changed': {
    roomId: '318',
    hotelId,
    roomNumber: '204',
    previousStatus: 'CHECKOUT_DIRTY',
    status: 'CLEANING_IN_PROGRESS',
    changedBy: staffId,
    note: null,
    changedAt: new Date('2025-07-04T10:40:00.000Z'),
  },
  'room.occupancy_changed': {
    roomId: '318',
    hotelId,
    roomNumber: '204',
    occupied: true,
    occupantCount: 2,
    bookingId,
    changedAt: new Date('2025-07-01T22:51:09.300Z'),
  },
  'message.created': {
    messageId,
    conversationId,
    senderId: guestId,
    recipientIds: [staffId],
    hotelId,
    bookingId,
    body: 'Hello! Could we get an extra pillow in 204?',
    attachments: [
      { url: 'https://files.example.com/m/pillow.jpg', contentType: 'image/jpeg', sizeBytes: 48213 },
    ],
    sentAt: new Date('2025-07-02T07:45:12.000Z'),
  },
  'message.edited': {
    messageId,
    conversationId,
    senderId: guestId,
    recipientIds: [staffId],
    body: 'Hello! Could we get two extra pillows in 204?',
    editedAt: new Date('2025-07-02T07:46:01.000Z'),
  },
  'message.deleted': {
    messageId,
    conversationId,
    senderId: guestId,
    recipientIds: [staffId],
    deletedBy: guestId,
    deletedAt: new Date('2025-07-02T08:00:00.000Z'),
  },
  'user.registered': {
    userId: guestId,
    email: 'ada@example.com',
    displayName: 'Ada',
    role: 'GUEST',
    hotelId: null,
    locale: 'en',
    registeredAt: new Date('2025-06-02T09:10:00.000Z'),
  },
  'user.profile_updated': {
    userId: guestId,
    changedFields: ['PHONE', 'LOCALE'],
    email: 'ada@example.com',
    displayName: 'Ada',
    phone: '+447700900123',
    locale: 'en-GB',
    avatarUrl: null,
    updatedAt: new Date('2025-06-10T18:22:31.000Z'),
  },
  'notification.created': {
    notificationId: '0193a5b2-5000-7aaa-8bbb-cccc00000001',
    recipientId: guestId,
    kind: 'BOOKING_CONFIRMED',
    title: 'Your booking is confirmed',
    body: 'See you on 1 July at Hotel Aurora. Reference BK-2025-00042.',
    sourceEventId: '0193a5b2-4fff-7000-8000-000000000abc',
    createdAt: new Date('2025-06-02T09:15:40.912Z'),
  },
};
