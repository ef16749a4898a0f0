import { describe, expectTypeOf, it } from 'vitest';
import {
  type AggregateType,
  BookingStatus,
  type CatalogueEntry,
  catalogueEntry,
  decodePayload,
  type Events,
  type EventType,
  encodePayload,
  eventTypes,
  type RoomStatusChanged,
  samples,
  type Topic,
  topicOf,
  type UserRegistered,
} from './index.ts';

// Checked by `tsc -p .` (vitest only runs them): the generated types are what decode returns.
describe('generated event types', () => {
  it('maps logical types to what the decoder returns', () => {
    expectTypeOf<Events['booking.created']['totalAmount']>().toEqualTypeOf<string>();
    expectTypeOf<Events['booking.created']['createdAt']>().toEqualTypeOf<Date>();
    expectTypeOf<Events['booking.created']['bookingId']>().toEqualTypeOf<string>();
    expectTypeOf<Events['booking.cancelled']['refundAmount']>().toEqualTypeOf<string | null>();
    expectTypeOf<Events['booking.room_assigned']['assignedBy']>().toEqualTypeOf<string | null>();
  });

  it('maps enums to literal unions with a same-named object of symbols', () => {
    expectTypeOf<Events['booking.created']['status']>().toEqualTypeOf<
      | 'PENDING_PAYMENT'
      | 'PENDING_APPROVAL'
      | 'CONFIRMED'
      | 'CHECKED_IN'
      | 'CHECKED_OUT'
      | 'CANCELLED'
      | 'NO_SHOW'
    >();
    expectTypeOf(BookingStatus.CONFIRMED).toEqualTypeOf<'CONFIRMED'>();
    expectTypeOf<Events['user.profile_updated']['changedFields']>().toEqualTypeOf<
      ('EMAIL' | 'DISPLAY_NAME' | 'PHONE' | 'LOCALE' | 'AVATAR')[]
    >();
  });

  it('maps nested records, arrays and longs', () => {
    expectTypeOf<Events['booking.created']['guest']>().toEqualTypeOf<{ name: string; email: string }>();
    expectTypeOf<Events['message.created']['recipientIds']>().toEqualTypeOf<string[]>();
    expectTypeOf<Events['message.created']['attachments'][number]['sizeBytes']>().toEqualTypeOf<number>();
  });

  it('keeps the event type union, the catalogue and the samples in step', () => {
    expectTypeOf(eventTypes).toEqualTypeOf<readonly EventType[]>();
    expectTypeOf<EventType>().toEqualTypeOf<keyof typeof samples>();
    expectTypeOf<AggregateType>().toEqualTypeOf<
      'booking' | 'room' | 'message' | 'user' | 'notification' | 'chat' | 'presence'
    >();
    expectTypeOf(topicOf('room.status_changed')).toEqualTypeOf<Topic>();
    expectTypeOf(catalogueEntry('room.status_changed')).toEqualTypeOf<
      CatalogueEntry<'room.status_changed'>
    >();
    const lookup = (header: string) => catalogueEntry(header);
    expectTypeOf(lookup).returns.toEqualTypeOf<CatalogueEntry>();
  });

  it('types encode input and decode output by event type', () => {
    expectTypeOf(decodePayload<'room.status_changed'>).returns.toEqualTypeOf<RoomStatusChanged>();
    expectTypeOf(encodePayload<'user.registered'>)
      .parameter(1)
      .toEqualTypeOf<UserRegistered>();
    // Never called: these lines are here for tsc.
    expectTypeOf(() => {
      encodePayload('user.registered', samples['user.registered']);
      // @ts-expect-error: a booking payload is not a user.registered payload
      encodePayload('user.registered', samples['booking.created']);
      // @ts-expect-error: not an event type
      encodePayload('booking.teleported', samples['booking.created']);
      // @ts-expect-error: a Date is required, not an ISO string
      encodePayload('user.registered', { ...samples['user.registered'], registeredAt: '2025-06-02' });
    }).toBeFunction();
  });
});
