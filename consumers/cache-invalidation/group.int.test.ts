import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
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
import { type Cache, createCache } from './cache.ts';
import { cacheInvalidation } from './definition.ts';
import { cacheKeys, cacheTags } from './keys.ts';

// The service side: its own Redis connection and cache, the same keys as the group's rules.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const emitter = createEmitter({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
const run = randomUUID().slice(0, 8);
const hotelId = `c-${run}`;
let pool: pg.Pool;
let redis: Redis;
let cache: Cache;
let group: TestGroup;

const emit = (...events: AnyEmitInput[]): Promise<Emitted[]> =>
  withTx(pool, (tx) => emitter.emitMany(tx, events));

function confirmed(bookingId: string): AnyEmitInput {
  return {
    type: 'booking.confirmed',
    aggregateId: bookingId,
    payload: { ...samples['booking.confirmed'], bookingId, hotelId },
  };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url });
  redis = new Redis(config.redis.url);
  cache = createCache({ redis });
  group = await startTestGroup(cacheInvalidation);
});
afterAll(async () => {
  await group?.stop();
  await cache?.close();
  redis?.disconnect();
  await pool?.end();
});

describe('cache-invalidation group', () => {
  it('an event emitted through the outbox drops its keys and every member of its tags', async () => {
    const bookingId = randomUUID();
    const other = randomUUID();
    const tag = cacheTags.hotelBookings(hotelId);
    await cache.get(cacheKeys.booking(bookingId), {
      tags: [tag],
      loader: async () => ({ status: 'PENDING' }),
    });
    await cache.get(cacheKeys.booking(other), { tags: [tag], loader: async () => ({ status: 'CONFIRMED' }) });
    await cache.get(`hotel:${hotelId}:board`, { tags: [tag], loader: async () => ['…'] });
    expect(await cache.tagMembers(tag)).toHaveLength(3);

    const [e] = await emit(confirmed(bookingId));
    await group.settled([e!.eventId]);
    expect(await cache.has(cacheKeys.booking(bookingId))).toBe(false);
    expect(await cache.has(cacheKeys.booking(other))).toBe(false);
    expect(await cache.tagMembers(tag)).toEqual([]);
    expect(await cache.watermark('booking', bookingId)).toBe(e!.sequence);
    // At least this event's three members (other traffic on the stack may add more).
    const fanoutSum = async () => {
      const text = await group.consumer.metrics.getSingleMetricAsString('outstream_cache_tag_fanout');
      return Number(
        /outstream_cache_tag_fanout_sum\{event_type="booking.confirmed"\} (\d+)/.exec(text)?.[1] ?? 0,
      );
    };
    await waitFor(async () => (await fanoutSum()) >= 3, { timeoutMs: 10_000, what: 'the fan-out metric' });
  });

  it('refuses a stale fill: a loader that read before the event and writes after its invalidation', async () => {
    const bookingId = randomUUID();
    const key = cacheKeys.booking(bookingId);
    let row = { status: 'PENDING_PAYMENT' }; // the service's table
    const read = deferred();
    const write = deferred();
    const pending = cache.get(key, {
      tags: [cacheTags.hotelBookings(hotelId)],
      loader: async () => {
        const seen = { ...row }; // SELECT … (before the confirm commits)
        read.resolve();
        await write.promise; // a slow loader: GC pause, slow network…
        return seen;
      },
    });
    await read.promise;
    // The service confirms: state change and event in one transaction…
    row = { status: 'CONFIRMED' };
    const [e] = await emit(confirmed(bookingId));
    // …and the group applies the invalidation before the slow loader writes.
    await waitFor(async () => (await cache.watermark('booking', bookingId)) >= e!.sequence, {
      timeoutMs: 60_000,
      what: 'the invalidation',
    });
    const refusedBefore = (await cache.stats()).shared.staleFillsRefused ?? 0;
    write.resolve();
    await pending;
    expect(await cache.has(key)).toBe(false);
    expect((await cache.stats()).shared.staleFillsRefused).toBe(refusedBefore + 1);
    const fresh = await cache.get(key, { loader: async () => ({ ...row }) });
    expect(fresh).toEqual({ status: 'CONFIRMED' });
  });

  it('a replay re-applies invalidations harmlessly and counts them as replayed', async () => {
    const bookingId = randomUUID();
    const [e] = await emit(confirmed(bookingId));
    await group.settled([e!.eventId]);
    const record = group.processed.find((p) => p.eventId === e!.eventId)!;
    await cache.get(cacheKeys.booking(bookingId), { loader: async () => ({ status: 'CONFIRMED' }) });
    await group.stop();
    await rewindGroup(kafka, group.group, record.topic, firstOffsets([record]));
    group = await startTestGroup(cacheInvalidation, { group: group.group });
    await group.settled([e!.eventId]);
    // The replayed invalidation dropped the (fresh) entry again: a miss, never stale data.
    expect(await cache.has(cacheKeys.booking(bookingId))).toBe(false);
    expect(await cache.watermark('booking', bookingId)).toBe(e!.sequence);
    const replayed = await group.consumer.metrics.getSingleMetricAsString(
      'outstream_cache_replayed_invalidations_total',
    );
    expect(replayed).toMatch(/ [1-9]\d*$/m);
  });
});
