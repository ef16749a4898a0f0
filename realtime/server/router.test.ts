import { describe, expect, it } from 'vitest';
import { type AnyEvent, type EventType, eventTypes, samples } from '../../schemas/index.ts';
import { createRouter } from './router.ts';

function event<K extends EventType>(type: K, payload: object = {}): AnyEvent {
  return {
    id: '0190a3c4-0000-7000-8000-000000000001',
    type,
    aggregateType: type.split('.')[0]!,
    aggregateId: 'agg-1',
    sequence: 3,
    occurredAt: new Date('2025-06-02T09:14:03Z'),
    actor: 'user:42',
    trace: null,
    payload: { ...samples[type], ...payload },
    kafka: { topic: `events.${type.split('.')[0]}`, partition: 0, offset: 1n, timestamp: 0 },
  } as AnyEvent;
}

describe('createRouter', () => {
  const router = createRouter();

  it("puts the emitter's trace id on every delivery, null without a valid traceparent", () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = {
      ...event('booking.created', { bookingId: 'b1', hotelId: '7' }),
      trace: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: null },
    } as AnyEvent;
    const deliveries = router.route(traced);
    expect(deliveries.map((d) => JSON.parse(d.data).traceId)).toEqual([traceId, traceId]);
    for (const traceparent of [
      'garbage',
      `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`,
      'x'.repeat(10_000),
    ]) {
      const hostile = { ...traced, trace: { traceparent, tracestate: null } } as AnyEvent;
      expect(JSON.parse(router.route(hostile)[0]!.data).traceId).toBeNull();
    }
    expect(
      JSON.parse(router.route(event('room.status_changed', { hotelId: '7' }))[0]!.data).traceId,
    ).toBeNull();
  });

  it('routes booking events to the booking (full) and the hotel (staff view) channels', () => {
    const e = event('booking.created', { bookingId: 'b1', hotelId: '7' });
    const [booking, hotel] = router.route(e);
    expect(booking!.channel).toBe('booking:b1');
    expect(hotel!.channel).toBe('hotel:7');
    const full = JSON.parse(booking!.data);
    const staff = JSON.parse(hotel!.data);
    expect(full.payload.guest.email).toBe(samples['booking.created'].guest.email);
    expect(staff.payload.guest).toEqual({ name: samples['booking.created'].guest.name });
    expect(staff).toMatchObject({
      id: e.id,
      type: 'booking.created',
      channel: 'hotel:7',
      aggregateType: 'booking',
      aggregateId: 'agg-1',
      sequence: 3,
      occurredAt: '2025-06-02T09:14:03.000Z',
      actor: 'user:42',
    });
  });

  it('fans array keys out, once per channel, and skips null keys', () => {
    const e = event('message.created', { senderId: 'u1', recipientIds: ['u2', 'u3', 'u1'] });
    expect(router.route(e).map((d) => d.channel)).toEqual(['user:u2', 'user:u3', 'user:u1']);
    const r = event('user.registered', { userId: 'u9', hotelId: null });
    expect(router.route(r).map((d) => d.channel)).toEqual(['user:u9']);
  });

  it('routes notification.created to user:{recipientId}', () => {
    expect(router.route(event('notification.created', { recipientId: 'u5' })).map((d) => d.channel)).toEqual([
      'user:u5',
    ]);
  });

  it('knows which topics can feed each channel kind', () => {
    expect([...router.topicsOf('hotel')].sort()).toEqual([
      'ephemeral.presence',
      'events.booking',
      'events.room',
      'events.user',
    ]);
    expect([...router.topicsOf('user')].sort()).toEqual([
      'ephemeral.chat',
      'ephemeral.presence',
      'events.message',
      'events.notification',
      'events.user',
    ]);
    expect([...router.topicsOf('booking')].sort()).toEqual(['ephemeral.presence', 'events.booking']);
  });

  it('has a route for every event type', () => {
    for (const t of eventTypes) expect(router.route(event(t)).length, t).toBeGreaterThan(0);
  });

  it('routes typing indicators to the recipients only, and flags presence deliveries', () => {
    const typing = router.route(event('chat.typing', { recipientIds: ['u2', 'u3'] }));
    expect(typing.map((d) => d.channel)).toEqual(['user:u2', 'user:u3']);
    expect(typing.every((d) => d.presence === undefined)).toBe(true);
    const joined = router.route(
      event('presence.joined', { channel: 'booking:b9', hotel: null, booking: 'b9', user: null }),
    );
    expect(joined).toEqual([{ channel: 'booking:b9', data: expect.any(String), presence: true }]);
  });
});
