import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, loadConfig } from '../../core/config.ts';
import { createKafka, deadLetterTopic, type KafkaProducer } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { createCache } from '../cache-invalidation/cache.ts';
import { metricNames } from '../framework/index.ts';
import {
  type GroupProcess,
  produceEvents,
  startGroupProcess,
  type TestEvent,
} from './test-fixtures/group-process.ts';
import {
  privateStackConfig,
  privateStackDown,
  privateStackUp,
  restartPostgres,
  restartRedis,
} from './test-fixtures/private-stack.ts';

// Issue 12: a 16 s PostgreSQL restart dead-lettered 284 analytics events and made the groups
// exit. Here PostgreSQL crashes (`pg_ctl stop -m immediate`) and stays down 15 s, and Redis is
// SIGKILLed, under load, on a private stack: the groups run as processes (as `npm start` runs
// them) and must wait the outages out.
const suite = loadConfig(process.env);
const config = privateStackConfig(suite);
const run = randomUUID().slice(0, 8);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `test-outages-${run}` });
const schemaIds = createSchemaIds(createSchemaRegistry({ url: suite.registry.url }));
const sequences = new Map<string, number>();
let producer: KafkaProducer;
let analytics: GroupProcess;
let cacheGroup: GroupProcess;

// Stopped afterwards, only what this file started (a private stack someone keeps up is left up).
let startedHere: Component[] = [];

beforeAll(async () => {
  startedHere = await privateStackUp(suite, config);
  producer = kafka.producer();
  [analytics, cacheGroup] = await Promise.all([
    startGroupProcess('analytics', config, run),
    startGroupProcess('cache-invalidation', config, run),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all([analytics?.stop(), cacheGroup?.stop()]);
  await producer?.close();
  await privateStackDown(config, startedHere);
});

/** Produces `make(i)` for i < count, `perTick` at a time every 50 ms, while `during` runs. */
async function load(count: number, perTick: number, make: (i: number) => TestEvent): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += perTick) {
    const batch = Array.from({ length: Math.min(perTick, count - i) }, (_, k) => make(i + k));
    ids.push(...(await produceEvents(producer, schemaIds, batch, sequences)));
    await new Promise((r) => setTimeout(r, 50));
  }
  return ids;
}

/** Samples a group's /health every 250 ms until stopped: the statuses it went through. */
function watchHealth(group: GroupProcess) {
  const seen: string[] = [];
  let on = true;
  const done = (async () => {
    while (on) {
      const h = await group.health().catch(() => undefined);
      if (h) seen.push(`${h.code} ${h.status} ${h.consumers[0]?.degraded ?? ''}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    seen,
    stop: async () => {
      on = false;
      await done;
    },
  };
}

async function deadLetters(topic: string, group: string): Promise<number> {
  const dlq = deadLetterTopic(topic, group);
  return kafka.withAdmin(async (admin) => {
    if ((await admin.describeTopics([dlq])).length === 0) return 0;
    return (await admin.partitionBounds(dlq)).reduce((n, b) => n + Number(b.high - b.low), 0);
  });
}

describe('consumer groups under dependency restarts (private stack)', () => {
  it('PostgreSQL crashes and stays down 15 s under load: analytics waits it out — 0 dead letters, exact totals, still running', async () => {
    const hotelId = `outage-${run}`;
    const bookings = Array.from({ length: 200 }, () => randomUUID());
    const event = (i: number): TestEvent => {
      const bookingId = bookings[i % bookings.length]!;
      return i < bookings.length
        ? {
            type: 'booking.created',
            aggregateId: bookingId,
            payload: { ...samples['booking.created'], bookingId, hotelId },
          }
        : {
            type: 'booking.confirmed',
            aggregateId: bookingId,
            payload: { ...samples['booking.confirmed'], bookingId, hotelId },
          };
    };
    const health = watchHealth(analytics);
    // ~1,500 events over ~25 s; PostgreSQL crashes a few seconds in and comes back 15 s later.
    const producing = load(1_500, 3, event);
    await waitFor(async () => (await analytics.metric(metricNames.processed)) >= 100, {
      timeoutMs: 60_000,
      what: 'analytics to be counting',
    });
    const crashedAt = Date.now();
    await restartPostgres(config, 15_000);
    const downMs = Date.now() - crashedAt;
    const ids = await producing;
    await health.stop();

    const db = new pg.Pool({ connectionString: config.database.url, max: 2 });
    try {
      const totals = () =>
        db
          .query<{ events: string; created: string; confirmed: string; booked: string }>(
            `SELECT (SELECT coalesce(sum(events), 0) FROM analytics.events_hourly WHERE hotel_id = $1) AS events,
                    (SELECT coalesce(sum(created), 0) FROM analytics.booking_funnel_daily WHERE hotel_id = $1) AS created,
                    (SELECT coalesce(sum(confirmed), 0) FROM analytics.booking_funnel_daily WHERE hotel_id = $1) AS confirmed,
                    (SELECT coalesce(sum(booked), 0) FROM analytics.revenue_daily WHERE hotel_id = $1) AS booked`,
            [hotelId],
          )
          .then((r) => r.rows[0]!);
      await waitFor(async () => Number((await totals()).events) === ids.length, {
        timeoutMs: 120_000,
        what: `analytics to count all ${ids.length} events`,
      });
      // Exact: every event once — none lost, none counted twice, none left in a dead letter.
      expect(await totals()).toEqual({
        events: '1500',
        created: '200',
        confirmed: '1300',
        booked: '469950.00',
      });
    } finally {
      await db.end();
    }
    const group = `analytics.${run}`;
    expect(await deadLetters('events.booking', group)).toBe(0);
    expect(await analytics.metric(metricNames.deadLettered)).toBe(0);
    expect(analytics.alive()).toBe(true);
    // It said what it waited for, while it waited, and said when it was over.
    expect(health.seen.some((s) => s.startsWith('200 degraded') && s.includes('postgres unavailable'))).toBe(
      true,
    );
    expect(analytics.lines.some((l) => l.includes('postgres unavailable: waiting it out'))).toBe(true);
    expect(analytics.lines.some((l) => l.includes('postgres is back after'))).toBe(true);
    expect(
      await analytics.metric(metricNames.dependencyOutageSeconds, 'dependency="postgres"'),
    ).toBeGreaterThan(5);
    expect((await analytics.health()).status).toBe('ok');
    console.log(
      `PostgreSQL down ${(downMs / 1000).toFixed(1)} s; ${ids.length} events counted exactly, 0 dead letters`,
    );
  }, 300_000);

  it('Redis is killed and restarted under load: cache-invalidation waits it out — every invalidation applied, 0 dead letters, still running', async () => {
    const hotelId = `redis-${run}`;
    const rooms = Array.from({ length: 100 }, () => randomUUID());
    const event = (i: number): TestEvent => {
      const roomId = rooms[i % rooms.length]!;
      return {
        type: 'room.status_changed',
        aggregateId: roomId,
        payload: { ...samples['room.status_changed'], roomId, hotelId },
      };
    };
    const health = watchHealth(cacheGroup);
    const producing = load(1_000, 4, event);
    await waitFor(async () => (await cacheGroup.metric(metricNames.processed)) >= 100, {
      timeoutMs: 60_000,
      what: 'cache-invalidation to be invalidating',
    });
    await restartRedis(config, 5_000);
    await producing;
    await health.stop();
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3 });
    redis.on('error', () => {});
    const cache = createCache({ redis });
    try {
      // The last sequence of every room reached Redis: nothing was skipped.
      await waitFor(
        async () => {
          for (const room of rooms)
            if ((await cache.watermark('room', room)) !== sequences.get(room)) return false;
          return true;
        },
        { timeoutMs: 120_000, what: 'every room invalidated up to its last event' },
      );
    } finally {
      await cache.close();
      redis.disconnect();
    }
    expect(await deadLetters('events.room', `cache-invalidation.${run}`)).toBe(0);
    expect(await cacheGroup.metric(metricNames.deadLettered)).toBe(0);
    expect(cacheGroup.alive()).toBe(true);
    expect(analytics.alive()).toBe(true);
    expect((await cacheGroup.health()).status).toBe('ok');
    console.log(
      `redis health seen: ${[...new Set(health.seen.map((s) => s.split(' ').slice(0, 2).join(' ')))].join(', ')}`,
    );
  }, 300_000);
});
