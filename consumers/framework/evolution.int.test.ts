import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import {
  type AvroRecordSchema,
  avroTypeOf,
  type BookingConfirmed,
  buildAvroType,
  catalogue,
  type EventOf,
  frame,
  samples,
} from '../../schemas/index.ts';
import { createEventDecoder } from '../decoder.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import { createTopic, deleteTopics, envelope, produce } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const { subject, schema: v1 } = catalogue['booking.confirmed'];
// Version 2 of the schema: one new field with a default (BACKWARD and FORWARD compatible).
const v2: AvroRecordSchema = {
  ...v1,
  fields: [
    ...v1.fields,
    { name: 'loyaltyTier', type: 'string', default: 'none', doc: 'Test-only field of schema evolution.' },
  ],
};
const v2Type = buildAvroType(v2);
const topic = `test.evolution.${randomUUID().slice(0, 8)}`;
const consumers: Consumer[] = [];
let v1Id: number;
let v2Id: number;
let v2Version: number | undefined;
let registeredV2 = false;

beforeAll(async () => {
  v1Id = await createSchemaIds(registry).idFor('booking.confirmed');
  // The registry itself judges the new version against the subject's level (BACKWARD).
  expect(await registry.isCompatible(subject, v2)).toBe(true);
  registeredV2 = (await registry.lookupId(subject, v2)) === undefined;
  v2Id = await registry.register(subject, v2);
  v2Version = (await registry.latest(subject))?.version;
  await createTopic(kafka, topic, 1);
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await deleteTopics(kafka, [topic]);
  // Leave the real subject as it was: v2 was a test version (compatible, but not the catalogue's).
  if (registeredV2 && v2Version !== undefined) {
    await fetch(`${registry.url}/subjects/${encodeURIComponent(subject)}/versions/${v2Version}`, {
      method: 'DELETE',
    }).catch(() => {});
  }
});

function consume(group: string, options: Partial<Parameters<typeof defineConsumer>[0]> = {}) {
  const seen: EventOf<'booking.confirmed'>[] = [];
  const c = defineConsumer({
    group,
    kafka,
    registry,
    logger: pino({ level: 'silent' }),
    fromBeginning: true,
    topicNames: { 'events.booking': topic },
    handlers: {
      'booking.confirmed': async (e) => {
        seen.push(e);
      },
    },
    ...options,
  });
  consumers.push(c);
  return { c, seen };
}

describe('schema evolution', () => {
  it('reads a v2 writer with the v1 (generated) reader, and v1 bytes with a v2 reader', async () => {
    const payload: BookingConfirmed = { ...samples['booking.confirmed'], bookingId: randomUUID() };
    const v1Bytes = frame(v1Id, avroTypeOf('booking.confirmed').toBuffer(payload));
    const v2Bytes = frame(v2Id, v2Type.toBuffer({ ...payload, loyaltyTier: 'gold' }));
    expect(v2Id).not.toBe(v1Id);
    await produce(kafka, topic, [
      {
        key: payload.bookingId,
        value: v1Bytes,
        headers: envelope('booking.confirmed', payload.bookingId, 1),
      },
      {
        key: payload.bookingId,
        value: v2Bytes,
        headers: envelope('booking.confirmed', payload.bookingId, 2),
      },
    ]);

    // A running v1 consumer: the newer producer's extra field is dropped, nothing breaks.
    const v1Reader = consume(`test-evolution-v1-${randomUUID().slice(0, 8)}`);
    await v1Reader.c.start();
    await waitFor(() => v1Reader.seen.length === 2, { timeoutMs: 60_000, what: 'both events (v1 reader)' });
    for (const e of v1Reader.seen) {
      expect(e.payload).toEqual(payload);
      expect(e.payload).not.toHaveProperty('loyaltyTier');
    }

    // A consumer already on v2: the old producer's bytes get the field's default.
    const v2Reader = consume(`test-evolution-v2-${randomUUID().slice(0, 8)}`, {
      decoder: createEventDecoder(registry, {
        readerTypeOf: (t) => (t === 'booking.confirmed' ? v2Type : avroTypeOf(t)),
      }),
    });
    await v2Reader.c.start();
    await waitFor(() => v2Reader.seen.length === 2, { timeoutMs: 60_000, what: 'both events (v2 reader)' });
    expect(v2Reader.seen.map((e) => e.sequence)).toEqual([1, 2]);
    expect(v2Reader.seen[0]!.payload).toEqual({ ...payload, loyaltyTier: 'none' });
    expect(v2Reader.seen[1]!.payload).toEqual({ ...payload, loyaltyTier: 'gold' });
  });
});
