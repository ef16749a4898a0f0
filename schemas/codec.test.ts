import { describe, expect, it } from 'vitest';
import {
  type FieldIssue,
  InvalidEventError,
  SchemaDecodeError,
  UnknownEventTypeError,
} from '../core/errors.ts';
import { eventTypes } from './catalogue.ts';
import { decodePayload, encodePayload } from './codec.ts';
import type { Events, EventType } from './generated/events.ts';
import { samples } from './samples.ts';

// Payloads that do not type-check on purpose: what a JS caller or a bad cast can send.
const encodeUnchecked = (eventType: EventType, payload: unknown) =>
  encodePayload(eventType, payload as Events[typeof eventType]);

function issuesOf(eventType: EventType, payload: unknown): readonly FieldIssue[] {
  try {
    encodeUnchecked(eventType, payload);
  } catch (err) {
    if (err instanceof InvalidEventError) return err.issues;
    throw err;
  }
  throw new Error('expected InvalidEventError');
}

const created = samples['booking.created'];
const statuses = 'PENDING_PAYMENT|PENDING_APPROVAL|CONFIRMED|CHECKED_IN|CHECKED_OUT|CANCELLED|NO_SHOW';
const money = 'decimal(12,2) as a string, e.g. "1234.50"';

describe('round trip', () => {
  it.each(eventTypes)('%s: the sample decodes to itself', (eventType) => {
    const bytes = encodePayload(eventType, samples[eventType]);
    expect(decodePayload(eventType, bytes)).toEqual(samples[eventType]);
  });

  it('decodes timestamps as Dates and money as exact strings', () => {
    const back = decodePayload(
      'booking.created',
      encodePayload('booking.created', { ...created, totalAmount: '361.5' }),
    );
    expect(back.createdAt).toBeInstanceOf(Date);
    expect(back.totalAmount).toBe('361.50');
  });

  it('accepts a Uint8Array view as well as a Buffer', () => {
    const bytes = encodePayload('user.registered', samples['user.registered']);
    const view = new Uint8Array([9, ...bytes]).subarray(1);
    expect(decodePayload('user.registered', view)).toEqual(samples['user.registered']);
  });

  it('writes the schema default for a left-out optional field and decodes it as null', () => {
    const { specialRequests: _, ...withoutRequests } = created;
    const back = decodePayload('booking.created', encodeUnchecked('booking.created', withoutRequests));
    expect(back.specialRequests).toBeNull();
  });

  it('ignores keys set to undefined', () => {
    const bytes = encodeUnchecked('booking.created', { ...created, extra: undefined });
    expect(decodePayload('booking.created', bytes)).toEqual(created);
  });
});

describe('invalid payloads', () => {
  it('names a wrong type in a nested record', () => {
    expect(issuesOf('booking.created', { ...created, guest: { ...created.guest, email: 42 } })).toEqual([
      { path: 'guest.email', expected: 'string', received: '42' },
    ]);
  });

  it('names a missing field', () => {
    const { reference: _, ...rest } = created;
    expect(issuesOf('booking.created', rest)).toEqual([
      { path: 'reference', expected: 'string', received: 'undefined' },
    ]);
  });

  it('lists the symbols of an enum', () => {
    expect(issuesOf('booking.created', { ...created, status: 'BOOKED' })).toEqual([
      { path: 'status', expected: `enum BookingStatus (${statuses})`, received: '"BOOKED"' },
    ]);
  });

  it('rejects null where the schema does not allow it', () => {
    expect(issuesOf('booking.created', { ...created, hotelId: null })).toEqual([
      { path: 'hotelId', expected: 'string', received: 'null' },
    ]);
  });

  it('says which logical type, and which JS value, it wanted', () => {
    expect(issuesOf('booking.created', { ...created, createdAt: '2025-06-02T09:14:03.120Z' })).toEqual([
      { path: 'createdAt', expected: 'timestamp-millis (Date)', received: '"2025-06-02T09:14:03.120Z"' },
    ]);
    expect(issuesOf('booking.created', { ...created, bookingId: 'BK-42' })).toEqual([
      { path: 'bookingId', expected: 'uuid (string)', received: '"BK-42"' },
    ]);
  });

  it('rejects money as a float or with too many digits', () => {
    expect(issuesOf('booking.created', { ...created, totalAmount: 361.5 })).toEqual([
      { path: 'totalAmount', expected: money, received: '361.5' },
    ]);
    expect(issuesOf('booking.created', { ...created, totalAmount: '361.505' })).toEqual([
      { path: 'totalAmount', expected: money, received: '"361.505"' },
    ]);
  });

  it('describes a nullable union by its branches', () => {
    const cancelled = samples['booking.cancelled'];
    expect(issuesOf('booking.cancelled', { ...cancelled, refundAmount: 300 })).toEqual([
      { path: 'refundAmount', expected: `${money} | null`, received: '300' },
    ]);
  });

  it('rejects undeclared fields, so a typo does not vanish', () => {
    expect(issuesOf('booking.created', { ...created, guest: { ...created.guest, emial: 'a@b.c' } })).toEqual([
      {
        path: 'guest.emial',
        expected: 'no such field in record GuestContact (did you mean email?)',
        received: '"a@b.c"',
      },
    ]);
  });

  it('points into arrays', () => {
    const message = samples['message.created'];
    const attachment = {
      url: 'https://files.example.com/a.pdf',
      contentType: 'application/pdf',
      sizeBytes: '1kb',
    };
    expect(
      issuesOf('message.created', {
        ...message,
        recipientIds: [message.senderId, 'bob'],
        attachments: [attachment, { ...attachment, sizeBytes: 10, name: 'a.pdf' }],
      }),
    ).toEqual([
      { path: 'recipientIds[1]', expected: 'uuid (string)', received: '"bob"' },
      { path: 'attachments[0].sizeBytes', expected: 'long (safe integer)', received: '"1kb"' },
      {
        path: 'attachments[1].name',
        expected: 'no such field in record Attachment (fields: url, contentType, sizeBytes)',
        received: '"a.pdf"',
      },
    ]);
  });

  it('reports a payload that is not an object at the root', () => {
    const error = (() => {
      try {
        encodeUnchecked('user.registered', null);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).message).toBe(
      'invalid user.registered payload:\n  - (root): expected record UserRegistered, got null',
    );
  });

  it('lists every issue at once, in schema order, undeclared fields last', () => {
    const { reference: _, ...rest } = created;
    const payload = {
      ...rest,
      hotelId: 1,
      guest: { name: null, email: 'ada@example.com' },
      status: 'confirmed',
      partySize: 2.5,
      totalAmount: '1e3',
      specialRequests: 7,
      createdAt: Date.parse('2025-06-02T09:14:03.120Z'),
      specialRequest: 'a typo',
    };
    const issues = issuesOf('booking.created', payload);
    expect(issues.map((i) => i.path)).toEqual([
      'reference',
      'hotelId',
      'guest.name',
      'status',
      'partySize',
      'totalAmount',
      'specialRequests',
      'createdAt',
      'specialRequest',
    ]);
    expect(issues.find((i) => i.path === 'partySize')).toEqual({
      path: 'partySize',
      expected: 'int (32-bit integer)',
      received: '2.5',
    });
    expect(issues.find((i) => i.path === 'specialRequests')?.expected).toBe('string | null');
    expect(issues.find((i) => i.path === 'specialRequest')?.expected).toBe(
      'no such field in record BookingCreated (did you mean specialRequests?)',
    );
  });

  it('throws an error whose message names each field and which is not retriable', () => {
    try {
      encodeUnchecked('booking.created', {
        ...created,
        guest: { ...created.guest, email: 42 },
        partySize: '2',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidEventError);
      const e = err as InvalidEventError;
      expect(e.code).toBe('INVALID_EVENT');
      expect(e.retriable).toBe(false);
      expect(e.eventType).toBe('booking.created');
      expect(e.message).toBe(
        'invalid booking.created payload:\n' +
          '  - guest.email: expected string, got 42\n' +
          '  - partySize: expected int (32-bit integer), got "2"',
      );
    }
  });
});

describe('decodePayload', () => {
  it('throws SchemaDecodeError on garbage, truncation and trailing bytes', () => {
    const bytes = encodePayload('booking.created', created);
    for (const bad of [
      Buffer.from([0xff, 0xff, 0xff]),
      bytes.subarray(0, bytes.length - 3),
      Buffer.concat([bytes, Buffer.from([0])]),
    ]) {
      expect(() => decodePayload('booking.created', bad)).toThrow(SchemaDecodeError);
    }
    expect(() => decodePayload('booking.created', Buffer.alloc(0))).toThrow(
      /cannot decode booking\.created payload \(0 bytes\)/,
    );
  });

  it('rejects an enum index the schema does not have', () => {
    const bytes = encodePayload('user.registered', samples['user.registered']);
    // user.registered: uuid (37 bytes), email, displayName, then the role index.
    const roleAt =
      37 + 1 + samples['user.registered'].email.length + 1 + samples['user.registered'].displayName.length;
    const corrupt = Buffer.from(bytes);
    corrupt[roleAt] = 0x20; // zig-zag 16: no such UserRole
    expect(() => decodePayload('user.registered', corrupt)).toThrow(SchemaDecodeError);
  });
});

describe('unknown event types', () => {
  it('are refused by both directions', () => {
    expect(() => encodeUnchecked('booking.teleported' as EventType, {})).toThrow(UnknownEventTypeError);
    expect(() => decodePayload('booking.teleported' as EventType, Buffer.alloc(1))).toThrow(
      UnknownEventTypeError,
    );
  });
});
