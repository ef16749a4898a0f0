import { describe, expect, it } from 'vitest';
import { type AnyEvent, samples } from '../../schemas/index.ts';
import { type AnalyticsRule, analyticsRules, factOf } from './rules.ts';

const envelope = {
  id: '01a211ea-2b0b-7754-8d27-e3fd7ea24da6',
  aggregateType: 'booking',
  aggregateId: 'b1',
  sequence: 3,
  occurredAt: new Date('2026-11-25T10:15:00Z'),
  actor: null,
  trace: null,
  kafka: { topic: 'events.booking', partition: 4, offset: 17n, timestamp: 0 },
};

describe('analytics rules', () => {
  it('turn an event into a fact: hotel, funnel stage and exact money', () => {
    const e = { ...envelope, type: 'booking.cancelled', payload: samples['booking.cancelled'] } as AnyEvent;
    expect(factOf(e)).toEqual({
      hotelId: '1',
      funnel: 'cancelled',
      money: { kind: 'refunded', amount: '300.00', currency: 'EUR' },
      eventId: envelope.id,
      eventType: 'booking.cancelled',
      at: envelope.occurredAt,
      topic: 'events.booking',
      partition: 4,
      offset: 17n,
    });
    const noRefund = { ...e, payload: { ...samples['booking.cancelled'], refundAmount: null } } as AnyEvent;
    expect(factOf(noRefund).money).toBeUndefined();
  });

  it('cover every event type (the map is total) and reject unknown fields', () => {
    const rule: AnalyticsRule<'booking.checked_out'> = (p) => ({
      hotelId: p.hotelId,
      // @ts-expect-error: booking.checked_out has no field `totalAmount`
      money: { kind: 'settled', amount: p.totalAmount, currency: p.currency },
    });
    expect(rule).toBeDefined();
    expect(Object.keys(analyticsRules)).toHaveLength(Object.keys(samples).length);
  });
});
