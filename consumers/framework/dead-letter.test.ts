import { describe, expect, it } from 'vitest';
import { SchemaDecodeError } from '../../core/errors.ts';
import { recordHeaders } from '../../core/kafka/index.ts';
import { deadLetterMessage, deadLetterHeaders as h } from './dead-letter.ts';
import { bookingRecord } from './test-fixtures/records.ts';

const record = bookingRecord;
const text = (headers: Record<string, Buffer | string> | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));

describe('dead letters', () => {
  it('keep the original record and add the documented headers', () => {
    const source = record();
    const m = deadLetterMessage(source, 'notifications', {
      reason: 'poison',
      error: new SchemaDecodeError('schema id 9 is not in the registry'),
      attempts: 0,
      firstAttemptAt: new Date('2026-01-01T00:00:00Z'),
      lastAttemptAt: new Date('2026-01-01T00:00:01Z'),
    });
    expect(m.key?.toString()).toBe('b-1');
    expect(m.value).toBe(source.value);
    expect(text(m.headers)).toEqual({
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

  it('of a debounced run name how many events its (last) event stood for, and the first one', () => {
    const at = new Date(0);
    const m = deadLetterMessage(record(), 'g', {
      reason: 'retries-exhausted',
      error: new Error('reindex failed'),
      attempts: 5,
      firstAttemptAt: at,
      lastAttemptAt: at,
      coalesced: { count: 37, firstOffset: 6n },
    });
    expect(text(m.headers)).toMatchObject({
      [h.originalOffset]: '42',
      [h.coalescedCount]: '37',
      [h.coalescedFirstOffset]: '6',
    });
  });

  it('describe errors that are not Error objects, and cut long messages', () => {
    const r = record({ key: null, value: null, headers: new Map() });
    const at = new Date(0);
    const base = { reason: 'non-retriable', attempts: 1, firstAttemptAt: at, lastAttemptAt: at } as const;
    const fromString = text(deadLetterMessage(r, 'g', { ...base, error: 'x'.repeat(5000) }).headers);
    expect(fromString[h.errorClass]).toBe('string');
    expect(fromString[h.errorMessage]!.length).toBe(2000);
    expect(fromString[h.originalKey]).toBeUndefined();
    const typeError = text(deadLetterMessage(r, 'g', { ...base, error: new TypeError('bad') }).headers);
    expect(typeError[h.errorClass]).toBe('TypeError');
    expect(typeError[h.errorCode]).toBeUndefined();
  });

  it('leave out null headers: Debezium sends a NULL outbox column as a null header', () => {
    const at = new Date(0);
    const m = deadLetterMessage(
      record({ headers: recordHeaders({ 'event-id': 'e-1', actor: null, traceparent: null }) }),
      'g',
      {
        reason: 'retries-exhausted',
        error: new Error('x'),
        attempts: 3,
        firstAttemptAt: at,
        lastAttemptAt: at,
      },
    );
    expect(m.headers).not.toHaveProperty('actor');
    expect(m.headers).not.toHaveProperty('traceparent');
    expect(text(m.headers)['event-id']).toBe('e-1');
    expect(Object.values(m.headers ?? {}).every((v) => v !== null && v !== undefined)).toBe(true);
  });

  it('name the key a blocked record waits behind', () => {
    const at = new Date(0);
    const m = deadLetterMessage(record(), 'g', {
      reason: 'blocked',
      error: new Error('blocked'),
      attempts: 0,
      firstAttemptAt: at,
      lastAttemptAt: at,
      blockedBy: 17n,
    });
    expect(text(m.headers)[h.blockedBy]).toBe('17');
  });
});
