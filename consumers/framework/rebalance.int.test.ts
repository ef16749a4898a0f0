import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka, type GroupProtocol } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../../producers/index.ts';
import type { EventOf } from '../../schemas/index.ts';
import { bookingEvent } from '../../test/booking-events.ts';
import { withTx } from '../../test/db.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import { skip } from './handler.ts';
import { startGroupAtEnd } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const emitter = createEmitter({ schemaIds: createSchemaIds(registry) });
const aggregates = 100;
const perAggregate = 40;
let pool: pg.Pool;
const consumers: Consumer[] = [];

beforeAll(() => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await pool.end();
});

interface Observation {
  consumer: string;
  aggregateId: string;
  sequence: number;
}

// Under each group protocol the port offers: the drain before a hand-over must hold under both.
const protocols: readonly GroupProtocol[] = ['classic', 'consumer'];

describe.each(protocols)('rebalance (%s protocol)', (protocol) => {
  it('loses nothing and keeps per-key order while a second member joins and leaves mid-stream', async () => {
    const group = `test-rebalance-${randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: aggregates }, () => randomUUID());
    const ours = new Set<string>(ids);
    const log: Observation[] = [];
    const active = new Set<string>();
    const violations: string[] = [];
    const drains = new Map<string, number>();
    // While b joins, a's handlers wait until a is told to revoke its partitions: the
    // rebalance then always lands in the middle of a's work, and a must drain it.
    let holdA = false;
    let rebalanceSeenByA: () => void = () => {};
    const rebalanceReachedA = new Promise<void>((resolve) => {
      rebalanceSeenByA = resolve;
    });

    const make = (name: string): Consumer => {
      const handle = async (e: EventOf<'booking.created'> | EventOf<'booking.confirmed'>) => {
        if (!ours.has(e.aggregateId)) return skip('another test run');
        // No handler may start on a partition this member no longer owns (kafkajs #1046).
        if (!c.status().assignment[e.kafka.topic]?.includes(e.kafka.partition)) {
          violations.push(`${name} handled ${e.kafka.topic}/${e.kafka.partition} while unassigned`);
        }
        // One key never runs on two members (or twice on one) at the same time.
        if (active.has(e.aggregateId)) violations.push(`${e.aggregateId}#${e.sequence} overlapped`);
        active.add(e.aggregateId);
        if (name === 'a' && holdA) await Promise.race([rebalanceReachedA, sleep(30_000)]);
        await sleep(1 + Math.random() * 4);
        active.delete(e.aggregateId);
        log.push({ consumer: name, aggregateId: e.aggregateId, sequence: e.sequence });
      };
      const c = defineConsumer({
        group,
        kafka,
        registry,
        logger: pino({ level: 'warn' }),
        inFlight: 4,
        protocol,
        heartbeatIntervalMs: 500,
        sessionTimeoutMs: 10_000,
        handlers: { 'booking.created': handle, 'booking.confirmed': handle },
      });
      c.events.on('committed', ({ topic, partition }) => {
        if (!c.status().assignment[topic]?.includes(partition)) {
          violations.push(`${name} committed ${topic}/${partition} while unassigned`);
        }
      });
      // Counted when partitions are revoked while a's handlers are held, i.e. in the middle of work.
      c.events.on('rebalancing', ({ reason }) => {
        if (reason !== 'revoked') return;
        drains.set(name, (drains.get(name) ?? 0) + 1);
        if (name === 'a') {
          holdA = false;
          rebalanceSeenByA();
        }
      });
      consumers.push(c);
      return c;
    };

    const a = make('a');
    await startGroupAtEnd(kafka, group, a.topics);
    await a.start();
    const b = make('b');

    // The stream: rounds of one event per aggregate; half at once (a backlog), half over ~5 s.
    const total = aggregates * perAggregate;
    const emitting = (async () => {
      for (let seq = 1; seq <= perAggregate; seq++) {
        const round: AnyEmitInput[] = ids.map((id) => bookingEvent(id, seq));
        await withTx(pool, (tx) => emitter.emitMany(tx, round));
        if (seq > perAggregate / 2) await sleep(250);
      }
    })();

    const handledAtLeast = (n: number, what: string) =>
      waitFor(() => log.length >= n, { timeoutMs: 120_000, intervalMs: 100, what });
    await handledAtLeast(total * 0.2, '20% handled');
    holdA = true;
    await b.start();
    // Classic hands b its share as it joins; the consumer protocol moves partitions after.
    const bAssigned = await waitFor(() => Object.values(b.status().assignment).flat().length, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'b to own partitions',
    });
    await handledAtLeast(total * 0.6, '60% handled');
    await b.stop();
    await emitting;
    const distinct = () => new Set(log.map((o) => `${o.aggregateId}#${o.sequence}`)).size;
    await waitFor(() => distinct() >= total, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: `all ${total} events`,
    });

    expect(bAssigned).toBeGreaterThan(0);
    // The rebalances caught member a in the middle of its work: it drained and committed.
    expect(drains.get('a') ?? 0).toBeGreaterThan(0);
    expect(log.some((o) => o.consumer === 'b')).toBe(true);
    expect(violations).toEqual([]);
    // Per key, in handling order: an event is never handled before all its predecessors
    // (a redelivery after a rebalance may repeat a suffix, never skip ahead).
    const gaps: string[] = [];
    const max = new Map<string, number>();
    for (const o of log) {
      const m = max.get(o.aggregateId) ?? 0;
      if (o.sequence > m + 1) gaps.push(`${o.aggregateId}: ${o.sequence} after ${m}`);
      max.set(o.aggregateId, Math.max(m, o.sequence));
    }
    expect(gaps).toEqual([]);
    expect(ids.every((id) => max.get(id) === perAggregate)).toBe(true);
    const duplicates = log.length - distinct();
    console.log(
      `[rebalance] ${total} events, ${log.length} handlings (${duplicates} duplicates); ` +
        `a: ${log.filter((o) => o.consumer === 'a').length}, b: ${log.filter((o) => o.consumer === 'b').length}; ` +
        `drains mid-batch: ${JSON.stringify(Object.fromEntries(drains))}`,
    );
  }, 300_000);
});
