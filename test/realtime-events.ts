import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import type { OutstreamConfig } from '../core/config.ts';
import { createKafka, type KafkaProducer, type ProducerRecord } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { createEmitter, createSchemaIds, type Emitted } from '../producers/index.ts';
import { catalogue, type Events, type EventType, encodePayload, frame, samples } from '../schemas/index.ts';
import { withTx } from './db.ts';

/** The envelope of a record written straight to Kafka (see {@link createEventWriter}'s `record`). */
export interface EnvelopeFields {
  aggregateId: string;
  sequence: number;
  /** Default: a fresh UUID. */
  eventId?: string;
}

/**
 * Emits example-domain events through the outbox (the real path: Postgres → Debezium →
 * Kafka) for realtime tests, with unique ids per call.
 */
export function createEventWriter(config: OutstreamConfig) {
  const pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
  const emitter = createEmitter({ schemaIds });
  let producer: KafkaProducer | undefined;

  return {
    /** A unique id: a UUID for bookings and users (their schemas say so), `h-…` for hotels. */
    id: (kind: 'h' | 'b' | 'u') => (kind === 'h' ? `h-${randomUUID().slice(0, 8)}` : randomUUID()),

    /** `count` events on one booking (created, then confirmed…), committed one transaction each. */
    async booking(hotelId: string, bookingId: string, count: number): Promise<Emitted[]> {
      const out: Emitted[] = [];
      for (let i = 0; i < count; i++) {
        const type = i === 0 ? 'booking.created' : 'booking.confirmed';
        const payload = { ...samples[type], bookingId, hotelId, reference: `BK-${bookingId}-${i + 1}` };
        out.push(
          await withTx(pool, (tx) => emitter.emit(tx, { type, aggregateId: bookingId, payload } as never)),
        );
      }
      return out;
    },

    /** `count` messages to `recipientId`, each with a body of `bodyBytes`, in one transaction. */
    async messages(recipientId: string, count: number, bodyBytes = 100): Promise<Emitted[]> {
      return withTx(pool, (tx) =>
        emitter.emitMany(
          tx,
          Array.from({ length: count }, (_, i) => {
            const messageId = randomUUID();
            return {
              type: 'message.created' as const,
              aggregateId: messageId,
              payload: {
                ...samples['message.created'],
                messageId,
                recipientIds: [recipientId],
                body: `${i} ${'x'.repeat(bodyBytes)}`,
              },
            };
          }),
        ),
      );
    },

    /**
     * A record exactly as Debezium's outbox router writes it (key = aggregate id, the framed
     * Avro payload, the envelope in headers), for the Kafka port's producer: tests write one
     * envelope twice (as Debezium does after a Connect crash) or many records fast.
     */
    async record<K extends EventType>(
      type: K,
      payload: Events[K],
      envelope: EnvelopeFields,
    ): Promise<ProducerRecord> {
      const { topic, aggregateType } = catalogue[type];
      return {
        topic,
        key: envelope.aggregateId,
        value: frame(await schemaIds.idFor(type), encodePayload(type, payload)),
        headers: {
          [envelopeHeaders.eventId]: envelope.eventId ?? randomUUID(),
          [envelopeHeaders.eventType]: type,
          [envelopeHeaders.aggregateType]: aggregateType,
          [envelopeHeaders.aggregateId]: envelope.aggregateId,
          [envelopeHeaders.sequence]: String(envelope.sequence),
          [envelopeHeaders.occurredAt]: new Date().toISOString(),
        },
      };
    },

    /** Writes records with the Kafka port's producer (acks from every in-sync replica). */
    async produce(records: readonly ProducerRecord[]): Promise<void> {
      producer ??= createKafka({
        ...config.kafka,
        clientId: `${config.kafka.clientId}-test-writer`,
      }).producer();
      await producer.send(records);
    },

    close: async () => {
      await producer?.close();
      await pool.end();
    },
  };
}
