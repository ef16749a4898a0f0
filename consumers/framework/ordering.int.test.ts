import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../../producers/index.ts';
import { bookingEvent } from '../../test/booking-events.ts';
import { withTx } from '../../test/db.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import { skip } from './handler.ts';
import { startGroupAtEnd } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const emitter = createEmitter({ schemaIds: createSchemaIds(registry) });
const aggregates = 200;
const perAggregate = 50;
let pool: pg.Pool;
let consumer: Consumer | undefined;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
});
afterAll(async () => {
  await consumer?.stop();
  await pool.end();
});

/** Every aggregate's events in order, aggregates interleaved (round robin), as a busy service emits them. */
function stream(ids: readonly string[]): AnyEmitInput[] {
  const out: AnyEmitInput[] = [];
  for (let seq = 1; seq <= perAggregate; seq++) {
    for (const id of ids) {
      out.push(bookingEvent(id, seq));
    }
  }
  return out;
}

describe('ordering and parallelism', () => {
  it(`keeps ${aggregates} aggregates × ${perAggregate} events in per-aggregate order while handling keys in parallel`, async () => {
    const group = `test-ordering-${randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: aggregates }, () => randomUUID());
    const ours = new Set<string>(ids);
    const seen = new Map<string, number[]>();
    const active = new Map<string, number>();
    const overlaps: string[] = [];
    let running = 0;
    let peak = 0;
    let busyMs = 0;
    let firstAt = 0;
    let lastAt = 0;
    const handle = async (e: { aggregateId: string; sequence: number }) => {
      if (!ours.has(e.aggregateId)) return skip('another test run');
      firstAt ||= Date.now();
      if (active.get(e.aggregateId)) overlaps.push(`${e.aggregateId}#${e.sequence}`);
      active.set(e.aggregateId, 1);
      peak = Math.max(peak, ++running);
      const t0 = performance.now();
      await sleep(Math.random() * 4);
      busyMs += performance.now() - t0;
      running--;
      active.set(e.aggregateId, 0);
      seen.set(e.aggregateId, [...(seen.get(e.aggregateId) ?? []), e.sequence]);
      lastAt = Date.now();
    };
    consumer = defineConsumer({
      group,
      kafka,
      registry,
      logger: pino({ level: 'warn' }),
      inFlight: 64,
      handlers: { 'booking.created': handle, 'booking.confirmed': handle },
    });
    await startGroupAtEnd(kafka, group, consumer.topics);
    await consumer.start();

    const events = stream(ids);
    const emitStart = Date.now();
    for (let i = 0; i < events.length; i += 500) {
      await withTx(pool, (tx) => emitter.emitMany(tx, events.slice(i, i + 500)));
    }
    const emitMs = Date.now() - emitStart;
    const total = aggregates * perAggregate;
    let handled = 0;
    await waitFor(
      () => {
        handled = [...seen.values()].reduce((n, s) => n + s.length, 0);
        return handled >= total;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: `${total} events handled (have ${handled})` },
    );

    const expected = Array.from({ length: perAggregate }, (_, i) => i + 1);
    const outOfOrder = ids.filter((id) => JSON.stringify(seen.get(id)) !== JSON.stringify(expected));
    expect(
      outOfOrder,
      `aggregates out of order, e.g. ${outOfOrder[0]}: ${seen.get(outOfOrder[0] ?? '')}`,
    ).toEqual([]);
    expect(overlaps).toEqual([]);
    const spanMs = lastAt - firstAt;
    console.log(
      `[ordering] emitted ${total} events in ${emitMs} ms; handled in ${spanMs} ms ` +
        `(${Math.round((total / spanMs) * 1000)} events/s); peak ${peak} handlers at once; ` +
        `handler time ${Math.round(busyMs)} ms = ${(busyMs / spanMs).toFixed(1)}× the wall time`,
    );
    // Real parallelism: many handlers at once, and more handler time than wall time.
    expect(peak).toBeGreaterThan(8);
    expect(busyMs / spanMs).toBeGreaterThan(2);
  }, 300_000);
});
