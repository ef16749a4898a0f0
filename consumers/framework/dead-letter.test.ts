import { describe, expect, it } from 'vitest';
import { SchemaDecodeError } from '../../core/errors.ts';
import {
  deadLetterMessage,
  deadLetterTopic,
  deadLetterHeaders as h,
  producibleHeaders,
} from './dead-letter.ts';

describe('dead letters', () => {
  it('are named <topic>.dlq.<group>', () => {
    expect(deadLetterTopic('events.booking', 'notifications')).toBe('events.booking.dlq.notifications');
  });

  it('keep the original record and add the documented headers', () => {
    const value = Buffer.from([0, 0, 0, 0, 9, 1, 2]);
    const m = deadLetterMessage(
      {
        topic: 'events.booking',
        partition: 3,
        message: {
          key: Buffer.from('b-1'),
          value,
          offset: '42',
          timestamp: '1700000000000',
          headers: { 'event-id': Buffer.from('e-1'), 'event-type': Buffer.from('booking.created') },
        },
      },
      'notifications',
      {
        reason: 'poison',
        error: new SchemaDecodeError('schema id 9 is not in the registry'),
        attempts: 0,
        firstAttemptAt: new Date('2026-01-01T00:00:00Z'),
        lastAttemptAt: new Date('2026-01-01T00:00:01Z'),
      },
    );
    expect(m.key?.toString()).toBe('b-1');
    expect(m.value).toBe(value);
    const headers = Object.fromEntries(Object.entries(m.headers!).map(([k, v]) => [k, String(v)]));
    expect(headers).toEqual({
      'event-id': 'e-1',
      'event-type': 'booking.created',
      [h.reason]: 'poison',
      [h.group]: 'notifications',
      [h.originalTopic]: 'events.booking',
      [h.originalPartition]: '3',
      [h.originalOffset]: '42',
      [h.originalKey]: 'b-1',
      [h.originalTimestamp]: '1700000000000',
      [h.errorClass]: 'SchemaDecodeError',
      [h.errorCode]: 'SCHEMA_DECODE',
      [h.errorMessage]: 'schema id 9 is not in the registry',
      [h.attempts]: '0',
      [h.firstAttemptAt]: '2026-01-01T00:00:00.000Z',
      [h.lastAttemptAt]: '2026-01-01T00:00:01.000Z',
    });
  });

  it('describe errors that are not Error objects, and cut long messages', () => {
    const record = {
      topic: 't',
      partition: 0,
      message: { key: null, value: null, offset: '0', timestamp: '0' },
    };
    const at = new Date(0);
    const base = { reason: 'non-retriable', attempts: 1, firstAttemptAt: at, lastAttemptAt: at } as const;
    const fromString = deadLetterMessage(record, 'g', { ...base, error: 'x'.repeat(5000) });
    expect(String(fromString.headers![h.errorClass])).toBe('string');
    expect(String(fromString.headers![h.errorMessage]).length).toBe(2000);
    expect(fromString.headers![h.originalKey]).toBeUndefined();
    const typeError = deadLetterMessage(record, 'g', { ...base, error: new TypeError('bad') });
    expect(String(typeError.headers![h.errorClass])).toBe('TypeError');
    expect(typeError.headers![h.errorCode]).toBeUndefined();
  });

  it('leave out header values Kafka cannot carry: Debezium sends a NULL outbox column as a null header', () => {
    const at = new Date(0);
    const m = deadLetterMessage(
      {
        topic: 'events.booking',
        partition: 0,
        message: {
          key: Buffer.from('b-1'),
          value: Buffer.from('v'),
          offset: '7',
          timestamp: '0',
          headers: {
            'event-id': Buffer.from('e-1'),
            actor: null,
            traceparent: null,
            tracestate: undefined,
            repeated: [Buffer.from('a'), null as unknown as Buffer, Buffer.from('b')],
            'all-null': [null as unknown as Buffer],
          } as unknown as Record<string, Buffer>,
        },
      },
      'g',
      {
        reason: 'retries-exhausted',
        error: new Error('x'),
        attempts: 3,
        firstAttemptAt: at,
        lastAttemptAt: at,
      },
    );
    const headers = m.headers!;
    expect(headers).not.toHaveProperty('actor');
    expect(headers).not.toHaveProperty('traceparent');
    expect(headers).not.toHaveProperty('tracestate');
    expect(headers).not.toHaveProperty('all-null');
    expect(String(headers['event-id'])).toBe('e-1');
    expect((headers.repeated as Buffer[]).map(String)).toEqual(['a', 'b']);
    expect(Object.values(headers).every((v) => v !== null && v !== undefined)).toBe(true);
  });

  it('producibleHeaders keeps every non-null header as it is', () => {
    const b = Buffer.from('x');
    expect(producibleHeaders({ a: b, s: 'str', n: null as unknown as string })).toEqual({ a: b, s: 'str' });
    expect(producibleHeaders(undefined)).toEqual({});
  });
});
