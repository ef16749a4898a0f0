import { describe, expect, it } from 'vitest';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { ErrorCode, type InvalidEventError, isOutstreamError } from '../core/errors.ts';
import type { ProducerRecord } from '../core/kafka/index.ts';
import { samples, unframe } from '../schemas/index.ts';
import { createEmitter } from './emitter.ts';
import { createPublisher } from './publisher.ts';

// A fake of our own producer port and schema ids: this checks validation, keys and headers;
// the real Kafka path is realtime/server/ephemeral.int.test.ts.
function setup() {
  const sent: ProducerRecord[] = [];
  const producer = {
    send: async (records: readonly ProducerRecord[]) => {
      sent.push(...records);
      return records.map((r) => ({ topic: r.topic, partition: 0, offset: 41n }));
    },
  };
  return { sent, publisher: createPublisher({ producer, schemaIds: { idFor: async () => 15 } }) };
}

function issuesOf(f: () => unknown): InvalidEventError['issues'] {
  try {
    f();
  } catch (e) {
    if (isOutstreamError(e, ErrorCode.invalidEvent)) return (e as InvalidEventError).issues;
    throw e;
  }
  throw new Error('did not throw');
}

describe('createPublisher', () => {
  it('writes to the ephemeral topic, keyed by the aggregate id field, with the envelope and sequence 0', async () => {
    const { sent, publisher } = setup();
    const payload = { ...samples['chat.typing'], conversationId: 'c-1' };
    const at = await publisher.publish({ type: 'chat.typing', payload, actor: 'u1' });
    expect(at).toMatchObject({ topic: 'ephemeral.chat', partition: 0, offset: 41n });
    const [record] = sent;
    expect(record).toMatchObject({ topic: 'ephemeral.chat', key: 'c-1' });
    expect(unframe(record!.value as Buffer).schemaId).toBe(15);
    expect(record!.headers).toMatchObject({
      [envelopeHeaders.eventId]: at.eventId,
      [envelopeHeaders.eventType]: 'chat.typing',
      [envelopeHeaders.aggregateType]: 'chat',
      [envelopeHeaders.aggregateId]: 'c-1',
      [envelopeHeaders.sequence]: '0',
      [envelopeHeaders.actor]: 'u1',
    });
  });

  it('refuses an unknown type, an outbox type, and a bad payload by field, writing nothing', async () => {
    const { sent, publisher } = setup();
    expect(() => publisher.prepare({ type: 'chat.teleported' } as never)).toThrow(/unknown event type/);
    expect(issuesOf(() => publisher.prepare({ type: 'booking.created', payload: {} } as never))).toEqual([
      expect.objectContaining({ path: 'type' }),
    ]);
    const issues = issuesOf(() =>
      publisher.prepare({
        type: 'chat.typing',
        payload: { conversationId: '', recipientIds: [7], typing: 'yes' },
      } as never),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'payload.conversationId',
      'payload.recipientIds[0]',
      'payload.typing',
    ]);
    expect(sent).toEqual([]);
  });

  it('refuses an event over the size limit', () => {
    const { publisher } = setup();
    const payload = {
      ...samples['chat.typing'],
      recipientIds: Array.from({ length: 120_000 }, (_, i) => `user-${i}`),
    };
    expect(issuesOf(() => publisher.prepare({ type: 'chat.typing', payload }))).toEqual([
      expect.objectContaining({ path: 'payload' }),
    ]);
  });
});

describe('emit() and ephemeral types', () => {
  it('refuses an ephemeral type before touching the transaction', async () => {
    const tx = { query: async () => expect.unreachable('no statement may run') } as never;
    const { emit } = createEmitter({ schemaIds: { idFor: async () => 1 } });
    await expect(
      emit(tx, { type: 'chat.typing', aggregateId: 'c', payload: samples['chat.typing'] } as never),
    ).rejects.toMatchObject({
      code: ErrorCode.invalidEvent,
      issues: [expect.objectContaining({ path: 'type' })],
    });
  });
});
