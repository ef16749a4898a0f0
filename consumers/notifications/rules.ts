import type { EventOf, Events, EventType, NotificationKind } from '../../schemas/index.ts';

/** Where a notification is delivered. */
export type Medium = 'in_app' | 'email';

/** Whom a rule notifies: one user (with contact details when the event carries them), or a hotel's staff. */
export type RecipientSpec =
  | { user: string; email?: string; name?: string; media: readonly Medium[] }
  | { staffOf: string; media: readonly Medium[] };

/** A recipient with what the directory knows about them. */
export interface Recipient {
  userId: string;
  email: string | null;
  name: string | null;
  locale: string;
  media: readonly Medium[];
}

/** The text of a notification (the email uses the title as subject unless `email` is given). */
export interface NotificationContent {
  title: string;
  body: string;
  email?: { subject: string; text: string };
}

/** How one event type becomes notifications. */
export interface NotificationRule<K extends EventType> {
  kind: NotificationKind;
  /** Who is notified, and on which media. An empty list is an error (the event goes to the DLQ). */
  recipients(payload: Events[K], event: EventOf<K>): RecipientSpec[];
  /** The text for one recipient, typed by the payload. */
  render(payload: Events[K], recipient: Recipient): NotificationContent;
}

/** Rules keyed by event type: an unknown event type or payload field does not compile. */
export type NotificationRules = { readonly [K in EventType]?: NotificationRule<K> };

const nights = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
const hello = (r: Recipient, fallback: string) => `Hello ${r.name ?? fallback},`;

/**
 * The platform's notification rules. To add one: a key (an event type), a kind, the
 * recipients, and a `render` that reads the typed payload. See consumers/notifications/README.md.
 */
export const notificationRules = {
  'booking.created': {
    kind: 'BOOKING_CREATED',
    recipients: (p) => [{ staffOf: p.hotelId, media: ['in_app'] }],
    render: (p) => ({
      title: `New booking ${p.reference}`,
      body:
        `${p.guest.name}, ${p.partySize} guest${p.partySize === 1 ? '' : 's'}, ${p.checkInDate} → ${p.checkOutDate} ` +
        `(${nights(p.checkInDate, p.checkOutDate)} nights), ${p.totalAmount} ${p.currency}, ${p.status.toLowerCase().replaceAll('_', ' ')}.` +
        (p.specialRequests ? ` Requests: ${p.specialRequests}` : ''),
    }),
  },
  'booking.confirmed': {
    kind: 'BOOKING_CONFIRMED',
    recipients: (p) => [
      { user: p.guestId, email: p.guest.email, name: p.guest.name, media: ['in_app', 'email'] },
    ],
    render: (p, r) => ({
      title: `Booking ${p.reference} confirmed`,
      body: `Your stay from ${p.checkInDate} to ${p.checkOutDate} is confirmed. Total: ${p.totalAmount} ${p.currency}.`,
      email: {
        subject: `Your booking ${p.reference} is confirmed`,
        text:
          `${hello(r, p.guest.name)}\n\nyour booking ${p.reference} is confirmed.\n\n` +
          `  Arrival:   ${p.checkInDate}\n  Departure: ${p.checkOutDate} (${nights(p.checkInDate, p.checkOutDate)} nights)\n` +
          `  Total:     ${p.totalAmount} ${p.currency}\n\nWe look forward to welcoming you.\n`,
      },
    }),
  },
  'booking.cancelled': {
    kind: 'BOOKING_CANCELLED',
    recipients: (p) => [
      { user: p.guestId, email: p.guest.email, name: p.guest.name, media: ['in_app', 'email'] },
      { staffOf: p.hotelId, media: ['in_app'] },
    ],
    render: (p, r) => {
      const refund =
        p.refundAmount === null ? 'No refund is due.' : `Refund: ${p.refundAmount} ${p.currency}.`;
      const reason = p.reason.toLowerCase().replaceAll('_', ' ');
      if (r.userId !== p.guestId) {
        return {
          title: `Booking ${p.reference} cancelled`,
          body: `${p.guest.name}'s booking was cancelled (${reason}). ${refund}`,
        };
      }
      return {
        title: `Booking ${p.reference} cancelled`,
        body: `Your booking was cancelled (${reason}). ${refund}`,
        email: {
          subject: `Your booking ${p.reference} was cancelled`,
          text: `${hello(r, p.guest.name)}\n\nyour booking ${p.reference} was cancelled (${reason}).\n${refund}\n${p.note ? `\nNote: ${p.note}\n` : ''}`,
        },
      };
    },
  },
  'booking.reminder_due': {
    kind: 'BOOKING_REMINDER',
    recipients: (p) => [
      { user: p.guestId, email: p.guest.email, name: p.guest.name, media: ['in_app', 'email'] },
    ],
    render: (p, r) => ({
      title: `Your stay starts ${p.checkInDate}`,
      body: `A reminder of booking ${p.reference}: arrival ${p.checkInDate}, departure ${p.checkOutDate}.`,
      email: {
        subject: `See you soon: booking ${p.reference} starts ${p.checkInDate}`,
        text:
          `${hello(r, p.guest.name)}\n\na reminder that your stay is coming up.\n\n` +
          `  Booking:   ${p.reference}\n  Arrival:   ${p.checkInDate}\n  Departure: ${p.checkOutDate} ` +
          `(${nights(p.checkInDate, p.checkOutDate)} nights)\n\nWe look forward to welcoming you.\n`,
      },
    }),
  },
  'booking.follow_up_due': {
    kind: 'STAY_FOLLOW_UP',
    recipients: (p) => [
      { user: p.guestId, email: p.guest.email, name: p.guest.name, media: ['in_app', 'email'] },
    ],
    render: (p, r) => ({
      title: 'How was your stay?',
      body: `Thank you for staying with us (booking ${p.reference}). Tell us how it was.`,
      email: {
        subject: `How was your stay? (booking ${p.reference})`,
        text: `${hello(r, p.guest.name)}\n\nthank you for staying with us. We would love to hear how it was: reply to this email.\n`,
      },
    }),
  },
  'booking.dates_changed': {
    kind: 'BOOKING_DATES_CHANGED',
    recipients: (p) => [
      { user: p.guestId, email: p.guest.email, name: p.guest.name, media: ['in_app', 'email'] },
    ],
    render: (p, r) => ({
      title: `Booking ${p.reference} moved to ${p.checkInDate}`,
      body: `Your stay is now from ${p.checkInDate} to ${p.checkOutDate} (was ${p.previousCheckInDate} to ${p.previousCheckOutDate}).`,
      email: {
        subject: `Your booking ${p.reference} now starts ${p.checkInDate}`,
        text:
          `${hello(r, p.guest.name)}\n\nthe dates of your booking ${p.reference} have changed.\n\n` +
          `  Arrival:   ${p.checkInDate} (was ${p.previousCheckInDate})\n` +
          `  Departure: ${p.checkOutDate} (was ${p.previousCheckOutDate}), ` +
          `${nights(p.checkInDate, p.checkOutDate)} nights\n\nWe look forward to welcoming you.\n`,
      },
    }),
  },
  'booking.room_assigned': {
    kind: 'ROOM_ASSIGNED',
    recipients: (p) => [{ user: p.guestId, media: ['in_app'] }],
    render: (p) => ({
      title: `Room ${p.roomNumber} is yours`,
      body: p.previousRoomId ? `You were moved to room ${p.roomNumber}.` : `Your room is ${p.roomNumber}.`,
    }),
  },
  'message.created': {
    kind: 'NEW_MESSAGE',
    recipients: (p) => p.recipientIds.map((user) => ({ user, media: ['in_app'] as const })),
    render: (p) => ({
      title: 'New message',
      body: p.body.length > 140 ? `${p.body.slice(0, 139)}…` : p.body,
    }),
  },
  'user.registered': {
    kind: 'WELCOME',
    recipients: (p) => [{ user: p.userId, email: p.email, name: p.displayName, media: ['in_app', 'email'] }],
    render: (p) => ({
      title: 'Welcome to Outstream Hotels',
      body:
        p.role === 'GUEST'
          ? 'Your account is ready.'
          : `Your staff account for hotel ${p.hotelId ?? '?'} is ready.`,
      email: {
        subject: 'Welcome to Outstream Hotels',
        text: `Hello ${p.displayName},\n\nyour account is ready. You will find your bookings and messages in the app.\n`,
      },
    }),
  },
} as const satisfies NotificationRules;
