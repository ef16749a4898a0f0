import { describe, expect, it } from 'vitest';
import { samples } from '../../schemas/index.ts';
import { type InvalidationRules, invalidationRules } from './rules.ts';

describe('invalidation rules', () => {
  it('name the keys and tags an event makes stale', () => {
    const p = samples['booking.room_assigned'];
    expect(invalidationRules['booking.room_assigned'](p)).toEqual({
      keys: [`booking:${p.bookingId}`, 'room:318'],
      tags: ['hotel:1:bookings', 'hotel:1:rooms'],
    });
    const moved = { ...p, previousRoomId: '317' };
    expect(invalidationRules['booking.room_assigned'](moved).keys).toContain('room:317');
  });

  it('drop a moved booking with the availability of its hotel', () => {
    const p = samples['booking.dates_changed'];
    expect(invalidationRules['booking.dates_changed'](p)).toEqual({
      keys: [`booking:${p.bookingId}`],
      tags: ['hotel:1:bookings', 'hotel:1:availability', `user:${p.guestId}:bookings`],
    });
  });

  it('do not compile for an unknown event type or payload field', () => {
    const rules: InvalidationRules = {
      // @ts-expect-error: not an event type of the catalogue
      'room.exploded': () => ({}),
      // @ts-expect-error: room.status_changed has no field `bookingId`
      'room.status_changed': (p) => ({ keys: [p.bookingId] }),
    };
    expect(rules).toBeDefined();
  });
});
