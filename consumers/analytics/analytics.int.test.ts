import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds, type Emitted } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { withTx } from '../../test/db.ts';
import { firstOffsets, rewindGroup, startTestGroup, type TestGroup } from '../../test/groups.ts';
import { createEventDecoder } from '../decoder.ts';
import { applyFacts } from './aggregate.ts';
import { analytics } from './definition.ts';
import { rebuildAnalytics, swapLockKey } from './rebuild.ts';
import { type AnalyticsReport, formatReport, queryReport } from './report.ts';
import type { Fact } from './rules.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const emitter = createEmitter({ schemaIds: createSchemaIds(registry) });
const run = randomUUID().slice(0, 8);
const hotelId = `a-${run}`;
let pool: pg.Pool;
let group: TestGroup;
let emitted: Emitted[] = [];

function bookingEvents(): AnyEmitInput[] {
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const base = { hotelId, guestId: randomUUID() };
  const ev = <K extends AnyEmitInput['type']>(type: K, bookingId: string, extra: object = {}) =>
    ({
      type,
      aggregateId: bookingId,
      payload: { ...samples[type], ...base, bookingId, ...extra },
    }) as AnyEmitInput;
  return [
    ev('booking.created', ids[0]!),
    ev('booking.created', ids[1]!),
    ev('booking.created', ids[2]!),
    // 0.10 + 0.20 is 0.30 here: numeric, never float.
    ev('booking.confirmed', ids[0]!, { totalAmount: '0.10' }),
    ev('booking.confirmed', ids[1]!, { totalAmount: '0.20' }),
    ev('booking.cancelled', ids[1]!, { refundAmount: '0.05' }),
    ev('booking.checked_in', ids[0]!),
    ev('booking.checked_out', ids[0]!, { finalAmount: '100.01' }),
    {
      type: 'room.status_changed',
      aggregateId: `${hotelId}-204`,
      payload: { ...samples['room.status_changed'], hotelId, roomId: `${hotelId}-204` },
    },
  ];
}

const report = (schema?: string) =>
  queryReport(
    pool,
    { hotelId, from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 86_400_000) },
    schema,
  );

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url });
  group = await startTestGroup(analytics);
  emitted = await withTx(pool, (tx) => emitter.emitMany(tx, bookingEvents()));
  await group.settled(emitted.map((e) => e.eventId));
});
afterAll(async () => {
  await group?.stop();
  await pool?.query('DROP SCHEMA IF EXISTS analytics_rebuild_test CASCADE');
  await pool?.end();
});

const expected = {
  events: {
    'booking.created': 3,
    'booking.confirmed': 2,
    'booking.cancelled': 1,
    'booking.checked_in': 1,
    'booking.checked_out': 1,
    'room.status_changed': 1,
  },
  totalEvents: 9,
  funnel: { created: 3, confirmed: 2, checkedIn: 1, checkedOut: 1, cancelled: 1 },
  revenue: [{ currency: 'EUR', booked: '0.30', refunded: '0.05', settled: '100.01', net: '0.25' }],
};

describe('analytics group', () => {
  it('counts events per type, the booking funnel and exact revenue for the hotel', async () => {
    const r = await report();
    expect(r.hotels).toEqual([{ hotelId, ...expected }]);
    const text = formatReport(r);
    expect(text).toContain(`hotel ${hotelId} — 9 events`);
    expect(text).toMatch(/EUR\s+0\.30\s+0\.05\s+0\.25\s+100\.01/);
  });

  it('answers the JSON endpoint by hotel and time range, and names bad parameters', async () => {
    const base = `http://127.0.0.1:${group.port}/analytics/report`;
    const ok = await fetch(`${base}?hotel=${hotelId}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as AnalyticsReport).hotels[0]).toMatchObject(expected);
    const empty = (await (
      await fetch(`${base}?hotel=${hotelId}&from=2020-01-01&to=2020-01-31`)
    ).json()) as AnalyticsReport;
    expect(empty.hotels[0]).toMatchObject({ totalEvents: 0, revenue: [] });
    const bad = await fetch(`${base}?from=yesterday&to=2020-13-45`);
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: string; issues: string[] };
    expect(body.error).toBe('INVALID_ARGUMENT');
    expect(body.issues.join('\n')).toMatch(/^from: .*\nto: /);
  });

  it('a replay (offsets reset) changes no total', async () => {
    const records = group.processed.filter((p) => emitted.some((e) => e.eventId === p.eventId));
    await group.stop();
    for (const topic of new Set(records.map((r) => r.topic))) {
      await rewindGroup(kafka, group.group, topic, firstOffsets(records.filter((r) => r.topic === topic)));
    }
    group = await startTestGroup(analytics, { group: group.group });
    await group.settled(emitted.map((e) => e.eventId));
    expect((await report()).hotels).toEqual([{ hotelId, ...expected }]);
    const duplicates = await group.consumer.metrics.getSingleMetricAsString(
      'outstream_analytics_duplicates_total',
    );
    expect(duplicates).toMatch(/ ([1-9]\d*)$/m);
  });

  it('rebuild recomputes the same totals from the start of the topics into fresh tables', async () => {
    const r = await rebuildAnalytics({
      kafka,
      decoder: createEventDecoder(registry),
      pool,
      target: 'analytics_rebuild_test',
    });
    expect(r.events).toBeGreaterThanOrEqual(emitted.length);
    expect((await report('analytics_rebuild_test')).hotels).toEqual([{ hotelId, ...expected }]);
  });

  it('counts an event once when one batch holds it twice (a record Connect published again)', async () => {
    const twiceHotel = `${hotelId}-twice`;
    const fact: Fact = {
      hotelId: twiceHotel,
      funnel: 'confirmed',
      money: { kind: 'booked', amount: '120.50', currency: 'EUR' },
      eventId: randomUUID(),
      eventType: 'booking.confirmed',
      at: new Date(),
      topic: 'events.booking',
      partition: 2,
      offset: 7n,
    };
    expect(await applyFacts(pool, [fact, { ...fact, offset: 9n }])).toEqual({ counted: 1, duplicates: 1 });
    const totals = await pool.query(
      `SELECT (SELECT sum(events)::int FROM analytics.events_hourly WHERE hotel_id = $1) AS events,
              (SELECT sum(confirmed)::int FROM analytics.booking_funnel_daily WHERE hotel_id = $1) AS confirmed,
              (SELECT sum(booked)::text FROM analytics.revenue_daily WHERE hotel_id = $1) AS booked,
              (SELECT koffset::int FROM analytics.counted_events WHERE event_id = $2) AS koffset`,
      [twiceHotel, fact.eventId],
    );
    expect(totals.rows[0]).toEqual({ events: 1, confirmed: 1, booked: '120.50', koffset: 7 });
  });

  it('a batch waits while a swap holds the lock, then counts its facts once', async () => {
    const lockHotel = `${hotelId}-lock`;
    const fact: Fact = {
      hotelId: lockHotel,
      funnel: 'created',
      eventId: randomUUID(),
      eventType: 'booking.created',
      at: new Date(),
      topic: 'events.booking',
      partition: 0,
      offset: 1n,
    };
    const swap = await pool.connect();
    try {
      await swap.query('BEGIN');
      await swap.query('SELECT pg_advisory_xact_lock($1)', [swapLockKey]);
      let settled = false;
      const batch = applyFacts(pool, [fact]).finally(() => {
        settled = true;
      });
      await waitFor(
        async () =>
          (
            await pool.query(
              "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
              [swapLockKey],
            )
          ).rowCount === 1,
        { timeoutMs: 10_000, what: 'the batch waiting on the swap lock' },
      );
      expect(settled).toBe(false);
      await swap.query('COMMIT');
      expect(await batch).toEqual({ counted: 1, duplicates: 0 });
      expect(await applyFacts(pool, [fact])).toEqual({ counted: 0, duplicates: 1 });
    } finally {
      swap.release();
    }
    const { rows } = await pool.query(
      'SELECT sum(events)::int AS n FROM analytics.events_hourly WHERE hotel_id = $1',
      [lockHotel],
    );
    expect(rows[0].n).toBe(1);
  });
});
