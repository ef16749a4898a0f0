import { describe, expect, it } from 'vitest';
import { deadLetterTopic, headerText, type KafkaRecord } from '../../core/kafka/index.ts';
import { deadLetterMessage } from './dead-letter.ts';
import { originalRecord } from './dead-letter-source.ts';
import { bookingRecord } from './test-fixtures/records.ts';

const source = bookingRecord();

/** The dead letter of `source` as a consumed record: headers arrive as Buffers. */
function consumed(group = 'notifications'): KafkaRecord & { headers: Map<string, Buffer | null> } {
  const m = deadLetterMessage(source, group, {
    reason: 'retries-exhausted',
    error: new Error('boom'),
    attempts: 5,
    firstAttemptAt: new Date('2026-01-01T00:00:00Z'),
    lastAttemptAt: new Date('2026-01-01T00:00:09Z'),
  });
  return {
    topic: deadLetterTopic(source.topic, group),
    partition: 3,
    offset: 7n,
    key: m.key as Buffer,
    value: m.value as Buffer,
    timestamp: 1_800_000_000_000,
    headers: new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

describe('dead-letter source', () => {
  it('turns a dead letter back into the record it was made from', () => {
    const r = originalRecord(consumed())!;
    expect(r).toMatchObject({
      topic: 'events.booking',
      partition: 3,
      offset: 42n,
      timestamp: 1_700_000_000_000,
    });
    expect(r.key?.toString()).toBe('b-1');
    expect(r.value).toEqual(source.value);
    // Only the original headers: a record that fails again gets fresh dlq-* headers.
    expect([...r.headers.keys()].sort()).toEqual(['event-id', 'event-type']);
    expect(headerText(r.headers, 'event-id')).toBe('e-1');
  });

  it('drops null headers (Debezium writes NULL columns as null headers)', () => {
    const d = consumed();
    d.headers.set('actor', null);
    expect([...originalRecord(d)!.headers.keys()]).not.toContain('actor');
  });

  it('refuses a record without the dead-letter headers', () => {
    expect(originalRecord(source)).toBeUndefined();
    const d = consumed();
    d.headers.set('dlq-original-offset', Buffer.from('x'));
    expect(originalRecord(d)).toBeUndefined();
  });
});
