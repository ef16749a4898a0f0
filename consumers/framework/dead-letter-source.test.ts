import { describe, expect, it } from 'vitest';
import { deadLetterMessage, deadLetterTopic } from './dead-letter.ts';
import { originalRecord, parseDeadLetterTopic } from './dead-letter-source.ts';

const source = {
  topic: 'events.booking',
  partition: 3,
  message: {
    key: Buffer.from('b-1'),
    value: Buffer.from([0, 0, 0, 0, 9, 1, 2]),
    offset: '42',
    timestamp: '1700000000000',
    headers: { 'event-id': Buffer.from('e-1'), 'event-type': Buffer.from('booking.created') },
  },
};

/** The dead letter of `source` as a consumed record: headers arrive as Buffers. */
function consumed(group = 'notifications') {
  const m = deadLetterMessage(source, group, {
    reason: 'retries-exhausted',
    error: new Error('boom'),
    attempts: 5,
    firstAttemptAt: new Date('2026-01-01T00:00:00Z'),
    lastAttemptAt: new Date('2026-01-01T00:00:09Z'),
  });
  const headers = Object.fromEntries(
    Object.entries(m.headers!).map(([k, v]) => [k, Buffer.from(String(v))]),
  ) as Record<string, Buffer>;
  return {
    topic: deadLetterTopic(source.topic, group),
    partition: 3,
    message: {
      key: m.key as Buffer,
      value: m.value as Buffer,
      headers,
      offset: '7',
      timestamp: '1800000000000',
    },
  };
}

describe('dead-letter source', () => {
  it('names the source topic and group of a dead-letter topic', () => {
    expect(parseDeadLetterTopic('events.booking.dlq.notifications')).toEqual({
      topic: 'events.booking',
      group: 'notifications',
    });
    expect(parseDeadLetterTopic('events.booking.dlq.notifications.crash-test')).toEqual({
      topic: 'events.booking',
      group: 'notifications.crash-test',
    });
    expect(parseDeadLetterTopic('events.booking')).toBeUndefined();
    expect(parseDeadLetterTopic('.dlq.x')).toBeUndefined();
    expect(parseDeadLetterTopic('events.booking.dlq.')).toBeUndefined();
  });

  it('turns a dead letter back into the record it was made from', () => {
    const r = originalRecord(consumed())!;
    expect(r.topic).toBe('events.booking');
    expect(r.partition).toBe(3);
    expect(r.message.offset).toBe('42');
    expect(String(r.message.timestamp)).toBe('1700000000000');
    expect(r.message.key?.toString()).toBe('b-1');
    expect(r.message.value).toEqual(source.message.value);
    // Only the original headers: a record that fails again gets fresh dlq-* headers.
    expect(Object.fromEntries(Object.entries(r.message.headers!).map(([k, v]) => [k, String(v)]))).toEqual({
      'event-id': 'e-1',
      'event-type': 'booking.created',
    });
  });

  it('drops null headers (Debezium writes NULL columns as null headers; kafkajs cannot send them)', () => {
    const d = consumed();
    // IHeaders has no null, the bytes on the wire do.
    d.message.headers.actor = null as unknown as Buffer;
    expect(Object.keys(originalRecord(d)!.message.headers!)).not.toContain('actor');
  });

  it('refuses a record without the dead-letter headers', () => {
    expect(originalRecord({ ...source, message: { ...source.message } })).toBeUndefined();
    const d = consumed();
    d.message.headers['dlq-original-offset'] = Buffer.from('x');
    expect(originalRecord(d)).toBeUndefined();
  });
});
