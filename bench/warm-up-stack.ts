// A private stack just set up has never carried an event: its JVMs (Connect, Debezium, every
// Kafka node) compile the path of a record on the first ones, and a bench that measures from
// the start would measure that. The configured stack a bench usually runs on has carried
// traffic before; this gives a fresh stack the same start, on every profile alike.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import type { OutstreamConfig } from '../core/config.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { createEmitter, createSchemaIds } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';
import { captureTopics } from '../test/capture.ts';
import { withTx } from '../test/db.ts';

/**
 * Emits `events` booking.created events (10 per transaction, as fast as they commit) and
 * waits until every one arrived on `events.booking` through Debezium and Kafka (up to 2 min).
 * @returns how long that took (ms).
 */
export async function warmUpStack(config: OutstreamConfig, events = 2_000): Promise<number> {
  const started = Date.now();
  const actor = `bench:warm-up-${randomUUID().slice(0, 8)}`;
  const pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  const capture = await captureTopics(createKafka({ ...config.kafka, clientId: 'bench-warm-up' }), [
    'events.booking',
  ]);
  try {
    const { emitMany } = createEmitter({
      schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
    });
    for (let sent = 0; sent < events; sent += 10) {
      const batch = Array.from({ length: Math.min(10, events - sent) }, () => {
        const bookingId = randomUUID();
        return {
          type: 'booking.created' as const,
          aggregateId: bookingId,
          actor,
          payload: { ...samples['booking.created'], bookingId },
        };
      });
      await withTx(pool, (tx) => emitMany(tx, batch));
    }
    await capture.until(
      (messages) => messages.filter((m) => m.headers[envelopeHeaders.actor] === actor).length >= events,
      120_000,
      `the ${events} warm-up events on events.booking`,
    );
    return Date.now() - started;
  } finally {
    await capture.stop();
    await pool.end();
  }
}
