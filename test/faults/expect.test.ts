import { describe, expect, it } from 'vitest';
import {
  type CommittedEvent,
  cents,
  expectedTotals,
  fromCents,
  inboxRecipients,
  totalsDiff,
} from './expect.ts';

const event = (over: Partial<CommittedEvent>): CommittedEvent => ({
  id: 'e',
  type: 'booking.created',
  aggregateType: 'booking',
  aggregateId: 'b1',
  sequence: 1,
  hotelId: 'h1',
  phase: 1,
  ...over,
});

describe('what the platform must have done with committed events', () => {
  it('adds money exactly, in cents', () => {
    expect(cents('361.50') + cents('0.05') + cents('12')).toBe(37355n);
    expect(fromCents(37355n)).toBe('373.55');
    expect(fromCents(-5n)).toBe('-0.05');
  });

  it('expects an inbox row for each of the hotel’s staff on a new booking, and for the guest on a confirmation', () => {
    const staff = new Map([['h1', ['s1', 's2']]]);
    expect(inboxRecipients(event({}), staff)).toEqual(['s1', 's2']);
    expect(inboxRecipients(event({ type: 'booking.confirmed', guestId: 'g' }), staff)).toEqual(['g']);
    expect(inboxRecipients(event({ type: 'room.status_changed' }), staff)).toEqual([]);
  });

  it('names each analytics figure that differs', () => {
    const committed = [
      event({ id: '1' }),
      event({ id: '2', type: 'booking.confirmed', amount: '100.10' }),
      event({ id: '3', type: 'booking.checked_out', amount: '5.00' }),
    ];
    const want = expectedTotals(committed);
    expect(totalsDiff(want, expectedTotals(committed))).toEqual([]);
    const short = expectedTotals(committed.slice(0, 2));
    expect(totalsDiff(want, short)).toEqual([
      'hotel h1 booking.checked_out events: expected 1, got 0',
      'hotel h1 funnel checked_out: expected 1, got 0',
      'hotel h1 settled: expected 5.00, got 0.00',
    ]);
  });
});
