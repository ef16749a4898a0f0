import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { OutstreamConfig } from '../core/config.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { createEmitter, createSchemaIds, type Emitted } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';
import { withTx } from './db.ts';

/**
 * Emits example-domain events through the outbox (the real path: Postgres → Debezium →
 * Kafka) for realtime tests, with unique ids per call.
 */
export function createEventWriter(config: OutstreamConfig) {
  const pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  const emitter = createEmitter({
    schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
  });

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

    close: () => pool.end(),
  };
}
