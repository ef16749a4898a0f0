import { describe, expect, it } from 'vitest';
import { deadLetterMessage } from '../../consumers/framework/index.ts';
import { SchemaDecodeError } from '../../core/errors.ts';
import { type KafkaRecord, recordHeaders } from '../../core/kafka/index.ts';
import { formatDeadLetter, viewDeadLetter } from './dead-letter-view.ts';

function consumed(
  reason: 'poison' | 'blocked' | 'retries-exhausted',
  error: unknown,
  value: Buffer,
): KafkaRecord {
  const m = deadLetterMessage(
    {
      topic: 'events.booking',
      partition: 2,
      offset: 41n,
      key: Buffer.from('b-1'),
      value,
      timestamp: 1767225600000,
      headers: recordHeaders({
        'event-id': '0197-e',
        'event-type': 'booking.confirmed',
        'aggregate-type': 'booking',
        'aggregate-id': 'b-1',
        sequence: '3',
      }),
    },
    'notifications',
    {
      reason,
      error,
      attempts: reason === 'retries-exhausted' ? 5 : 0,
      firstAttemptAt: new Date('2026-01-01T00:00:01Z'),
      lastAttemptAt: new Date('2026-01-01T00:00:09Z'),
      ...(reason === 'blocked' ? { blockedBy: 40n } : {}),
    },
  );
  return {
    topic: 'events.booking.dlq.notifications',
    partition: 2,
    offset: 7n,
    key: m.key === null ? null : Buffer.from(m.key),
    value,
    headers: recordHeaders(m.headers ?? {}),
    timestamp: 1767225610000,
  };
}

describe('dead-letter view', () => {
  it('decodes every documented header', () => {
    const smtp = Object.assign(new Error('550 mailbox unavailable'), { code: 'EMAIL_REJECTED' });
    const v = viewDeadLetter(consumed('retries-exhausted', smtp, Buffer.from([0, 0, 0, 0, 4, 9])));
    expect(v).toEqual({
      topic: 'events.booking.dlq.notifications',
      partition: 2,
      offset: '7',
      deadLetteredAt: '2026-01-01T00:00:10.000Z',
      reason: 'retries-exhausted',
      group: 'notifications',
      original: {
        topic: 'events.booking',
        partition: 2,
        offset: '41',
        key: 'b-1',
        writtenAt: '2026-01-01T00:00:00.000Z',
      },
      error: { class: 'Error', code: 'EMAIL_REJECTED', message: '550 mailbox unavailable' },
      attempts: 5,
      firstAttemptAt: '2026-01-01T00:00:01.000Z',
      lastAttemptAt: '2026-01-01T00:00:09.000Z',
      blockedByOffset: null,
      event: {
        id: '0197-e',
        type: 'booking.confirmed',
        aggregateType: 'booking',
        aggregateId: 'b-1',
        sequence: '3',
        occurredAt: null,
        actor: null,
        traceparent: null,
      },
      value: { bytes: 6, schemaId: 4 },
    });
    expect(formatDeadLetter(v)).toEqual([
      'events.booking.dlq.notifications partition 2 offset 7, dead-lettered 2026-01-01T00:00:10.000Z',
      '  reason    retries exhausted: the handler kept failing',
      '  error     Error [EMAIL_REJECTED]: 550 mailbox unavailable',
      '  attempts  5 (first 2026-01-01T00:00:01.000Z, last 2026-01-01T00:00:09.000Z)',
      '  original  events.booking partition 2 offset 41, key b-1, written 2026-01-01T00:00:00.000Z',
      '  event     booking.confirmed 0197-e, booking b-1 #3',
      '  value     6 bytes, schema id 4',
    ]);
  });

  it('explains poison and blocked dead letters', () => {
    const poison = formatDeadLetter(
      viewDeadLetter(consumed('poison', new SchemaDecodeError('magic byte is 0x7b'), Buffer.from('{}'))),
    );
    expect(poison).toContain(
      '  reason    poison: the record cannot be decoded (bad bytes, unknown schema id, missing envelope)',
    );
    expect(poison).toContain('  error     SchemaDecodeError [SCHEMA_DECODE]: magic byte is 0x7b');
    expect(poison).toContain('  value     2 bytes, not Confluent-framed');
    const blocked = formatDeadLetter(
      viewDeadLetter(consumed('blocked', new Error('key b-1 is blocked'), Buffer.alloc(0))),
    );
    expect(blocked).toContain('  blocked   by the dead letter of events.booking offset 40');
  });

  it('survives a record that is not a dead letter', () => {
    const v = viewDeadLetter({
      topic: 't.dlq.g',
      partition: 0,
      offset: 0n,
      key: null,
      value: null,
      headers: new Map(),
      timestamp: 0,
    });
    expect(v.reason).toBeNull();
    expect(formatDeadLetter(v)[1]).toContain('no dlq-reason header');
  });
});
