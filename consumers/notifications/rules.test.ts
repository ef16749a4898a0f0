import { describe, expect, expectTypeOf, it } from 'vitest';
import { type BookingConfirmed, samples } from '../../schemas/index.ts';
import { classifySmtpError, messageIdFor } from './mailer.ts';
import { type NotificationRules, notificationRules, type Recipient } from './rules.ts';

const guest: Recipient = {
  userId: samples['booking.confirmed'].guestId,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  locale: 'en',
  media: ['in_app', 'email'],
};

describe('notification rules', () => {
  it('are typed by the event map: unknown event types and payload fields do not compile', () => {
    const rules: NotificationRules = {
      'booking.confirmed': {
        kind: 'BOOKING_CONFIRMED',
        recipients: (p) => [{ user: p.guestId, media: ['in_app'] }],
        render: (p) => {
          expectTypeOf(p).toEqualTypeOf<BookingConfirmed>();
          return { title: p.reference, body: p.totalAmount };
        },
      },
      // @ts-expect-error: not an event type of the catalogue
      'booking.teleported': { kind: 'OTHER', recipients: () => [], render: () => ({ title: '', body: '' }) },
    };
    const bad: NotificationRules = {
      'booking.created': {
        kind: 'BOOKING_CREATED',
        // @ts-expect-error: booking.created has no field `roomNumber`
        recipients: (p) => [{ staffOf: p.roomNumber, media: ['in_app'] }],
        render: () => ({ title: '', body: '' }),
      },
    };
    expect(Object.keys(rules)).toContain('booking.confirmed');
    expect(bad).toBeDefined();
  });

  it('render the confirmation for the guest, in-app and email', () => {
    const rule = notificationRules['booking.confirmed'];
    expect(rule.recipients(samples['booking.confirmed'])).toEqual([
      { user: guest.userId, email: 'ada@example.com', name: 'Ada Lovelace', media: ['in_app', 'email'] },
    ]);
    const c = rule.render(samples['booking.confirmed'], guest);
    expect(c.title).toBe('Booking BK-2025-00042 confirmed');
    expect(c.email?.subject).toBe('Your booking BK-2025-00042 is confirmed');
    expect(c.email?.text).toContain('Departure: 2025-07-04 (3 nights)');
  });

  it('email the guest the scheduled reminder before check-in and the follow-up after check-out', () => {
    const reminder = notificationRules['booking.reminder_due'];
    const p = samples['booking.reminder_due'];
    expect(reminder.recipients(p)).toEqual([
      { user: p.guestId, email: 'ada@example.com', name: 'Ada Lovelace', media: ['in_app', 'email'] },
    ]);
    const c = reminder.render(p, guest);
    expect(reminder.kind).toBe('BOOKING_REMINDER');
    expect(c.email?.subject).toBe('See you soon: booking BK-2025-00042 starts 2025-07-01');
    expect(c.email?.text).toContain('Departure: 2025-07-04 (3 nights)');
    const followUp = notificationRules['booking.follow_up_due'];
    expect(followUp.kind).toBe('STAY_FOLLOW_UP');
    expect(followUp.render(samples['booking.follow_up_due'], guest).email?.subject).toBe(
      'How was your stay? (booking BK-2025-00042)',
    );
  });

  it('email the guest their new dates when a booking moves, beside the old ones', () => {
    const rule = notificationRules['booking.dates_changed'];
    const p = samples['booking.dates_changed'];
    expect(rule.kind).toBe('BOOKING_DATES_CHANGED');
    expect(rule.recipients(p)).toEqual([
      { user: p.guestId, email: 'ada@example.com', name: 'Ada Lovelace', media: ['in_app', 'email'] },
    ]);
    const c = rule.render(p, guest);
    expect(c.title).toBe('Booking BK-2025-00042 moved to 2025-07-08');
    expect(c.body).toBe('Your stay is now from 2025-07-08 to 2025-07-11 (was 2025-07-01 to 2025-07-04).');
    expect(c.email?.subject).toBe('Your booking BK-2025-00042 now starts 2025-07-08');
    expect(c.email?.text).toContain('Arrival:   2025-07-08 (was 2025-07-01)');
    expect(c.email?.text).toContain('Departure: 2025-07-11 (was 2025-07-04), 3 nights');
  });

  it('tell the guest and the staff different things about a cancellation', () => {
    const rule = notificationRules['booking.cancelled'];
    const p = samples['booking.cancelled'];
    expect(rule.recipients(p).map((r) => ('user' in r ? 'guest' : 'staff'))).toEqual(['guest', 'staff']);
    expect(rule.render(p, guest).body).toBe(
      'Your booking was cancelled (guest request). Refund: 300.00 EUR.',
    );
    const staff = rule.render(p, { ...guest, userId: 'staff-1', media: ['in_app'] });
    expect(staff.body).toContain("Ada Lovelace's booking was cancelled");
    expect(staff.email).toBeUndefined();
  });
});

describe('mail', () => {
  it('derives a stable Message-ID from the event id and the recipient', () => {
    const id = '01a211ea-2b0b-7754-8d27-e3fd7ea24da6';
    expect(messageIdFor(id, 'user-1', 'n.test')).toBe(`<${id}.user-1@n.test>`);
    expect(messageIdFor(id, 'user-1', 'n.test')).toBe(messageIdFor(id, 'user-1', 'n.test'));
    expect(messageIdFor(id, 'weird id@x', 'n.test')).toMatch(new RegExp(`^<${id}\\.[0-9a-f]{32}@n\\.test>$`));
  });

  it('classifies 5xx as permanent, a mailbox 4xx as transient, no connection or 421 as an outage', () => {
    expect(classifySmtpError({ responseCode: 550, response: '550 5.1.1 no such user' })).toEqual({
      permanent: true,
      unavailable: false,
      reason: '550 5.1.1 no such user',
    });
    expect(classifySmtpError({ responseCode: 451, response: '451 4.3.0 later' })).toMatchObject({
      permanent: false,
      unavailable: false,
    });
    expect(
      classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' })),
    ).toEqual({
      permanent: false,
      unavailable: true,
      reason: 'ECONNECTION: connect ECONNREFUSED',
    });
    expect(classifySmtpError({ responseCode: 421, response: '421 4.3.2 shutting down' })).toMatchObject({
      permanent: false,
      unavailable: true,
    });
    expect(classifySmtpError(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })).unavailable).toBe(
      true,
    );
  });
});
