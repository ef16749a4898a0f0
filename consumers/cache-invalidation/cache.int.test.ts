import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { waitFor } from '../../core/wait.ts';
import { type Cache, createCache } from './cache.ts';

const config = loadConfig(process.env);
// Two connections and two caches: as far as Redis can tell, two processes.
let redisA: Redis;
let redisB: Redis;
let a: Cache;
let b: Cache;
const run = randomUUID().slice(0, 8);
const prefix = `test:${run}:`;

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

beforeAll(() => {
  redisA = new Redis(config.redis.url);
  redisB = new Redis(config.redis.url);
  a = createCache({ redis: redisA, prefix });
  b = createCache({ redis: redisB, prefix });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  const keys = await redisA.keys(`${prefix}*`);
  if (keys.length > 0) await redisA.del(...keys);
  redisA?.disconnect();
  redisB?.disconnect();
});

describe('cache.get', () => {
  it('reads through once, then serves the entry with its tags recorded', async () => {
    let calls = 0;
    const loader = async () => {
      calls++;
      return { id: 'b1', status: 'CONFIRMED', nights: 3 };
    };
    const first = await a.get('booking:b1', { tags: ['hotel:1:bookings'], loader });
    const second = await b.get('booking:b1', { tags: ['hotel:1:bookings'], loader });
    expect(first).toEqual({ id: 'b1', status: 'CONFIRMED', nights: 3 });
    expect(second).toEqual(first);
    expect(calls).toBe(1);
    expect(await a.tagMembers('hotel:1:bookings')).toEqual(['booking:b1']);
  });

  it('runs one loader per key across processes under a stampede', async () => {
    let calls = 0;
    const release = deferred();
    const loader = async () => {
      calls++;
      await release.promise;
      return `value-${calls}`;
    };
    const gets = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).get('hot:key', { loader }));
    // Let the loader finish once the other "process" is waiting on it.
    await waitFor(
      async () => calls === 1 && (await a.stats()).local.waits + (await b.stats()).local.waits > 0,
      {
        timeoutMs: 10_000,
        what: 'one loader running and the other process waiting',
      },
    );
    release.resolve();
    const values = await Promise.all(gets);
    expect(calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(['value-1']));
  });

  it('takes over when the lock holder dies (its lock expires)', async () => {
    const short = createCache({ redis: redisB, prefix, lockTtlMs: 400 });
    // A holder that took the lock and vanished.
    await redisA.set(`${prefix}l:orphan`, 'dead-process', 'PX', 400);
    const value = await short.get('orphan', { loader: async () => 'recovered' });
    expect(value).toBe('recovered');
    await short.close();
  });

  it('gives up waiting on a hung loader with a retriable typed error', async () => {
    const impatient = createCache({ redis: redisB, prefix, waitTimeoutMs: 300 });
    const hang = deferred();
    const holder = a.get('slow:key', { loader: () => hang.promise.then(() => 'late') });
    await waitFor(() => redisA.exists(`${prefix}l:slow:key`), { timeoutMs: 5_000, what: 'the lock' });
    const error = await impatient.get('slow:key', { loader: async () => 'never' }).catch((e: unknown) => e);
    expect(isOutstreamError(error, ErrorCode.cacheWaitTimeout)).toBe(true);
    expect((error as { retriable: boolean }).retriable).toBe(true);
    hang.resolve();
    expect(await holder).toBe('late');
    await impatient.close();
  });

  it('rejects bad keys and tags naming them', async () => {
    const loader = async () => 1;
    for (const [key, tags] of [
      ['', []],
      ['x'.repeat(600), []],
      ['ok', ['']],
      ['ok', ['bad\ntag']],
    ] as const) {
      const error = await a.get(key, { tags, loader }).catch((e: unknown) => e);
      expect(isOutstreamError(error, ErrorCode.cacheKeyInvalid)).toBe(true);
    }
  });
});

describe('race-safe fills', () => {
  // Deterministic: the loader reads, the invalidation happens, then the loader writes.
  async function raceWith(invalidate: () => Promise<unknown>, key: string, tags: string[] = []) {
    const read = deferred();
    const write = deferred();
    let source = 'before';
    const pending = a.get(key, {
      tags,
      loader: async () => {
        const seen = source; // the read, from the source of truth
        read.resolve();
        await write.promise;
        return seen;
      },
    });
    await read.promise;
    source = 'after'; // the change commits…
    await invalidate(); // …and its invalidation runs before the stale loader writes
    write.resolve();
    const returned = await pending;
    const next = await a.get(key, { tags, loader: async () => source });
    return { returned, next, cached: await a.has(key) };
  }

  it('refuses a fill whose read happened before the invalidation of its key', async () => {
    const before = (await a.stats()).shared.staleFillsRefused ?? 0;
    const r = await raceWith(() => b.invalidate({ keys: ['booking:race1'] }), 'booking:race1');
    expect(r.returned).toBe('before'); // the caller that started first still gets its read
    expect(r.next).toBe('after'); // nobody gets it from the cache afterwards
    expect((await a.stats()).shared.staleFillsRefused).toBe(before + 1);
  });

  it('refuses a fill whose read happened before the invalidation of one of its tags', async () => {
    const r = await raceWith(() => b.invalidate({ tags: ['hotel:9:availability'] }), 'avail:9', [
      'hotel:9:availability',
    ]);
    expect(r.next).toBe('after');
  });

  it('accepts the fill when no invalidation intervened (control)', async () => {
    const r = await raceWith(async () => {}, 'booking:race-control');
    // Without an invalidation the entry stays until one comes (or its TTL ends).
    expect(r.next).toBe('before');
    expect(r.cached).toBe(true);
  });
});

describe('cache.invalidate', () => {
  it('drops keys and tag members without scanning, records the aggregate watermark, flags replays', async () => {
    for (const id of ['1', '2', '3']) {
      await a.get(`room:${id}`, { tags: ['hotel:7:rooms'], loader: async () => ({ id }) });
    }
    await a.get('booking:k', { loader: async () => 'k' });
    const r = await b.invalidate({
      keys: ['booking:k'],
      tags: ['hotel:7:rooms'],
      aggregate: { type: 'booking', id: `k-${run}`, sequence: 4 },
    });
    expect(r).toMatchObject({ entriesDropped: 4, tagMembers: 3, replayed: false });
    for (const key of ['room:1', 'room:2', 'room:3', 'booking:k']) expect(await a.has(key)).toBe(false);
    expect(await a.tagMembers('hotel:7:rooms')).toEqual([]);
    expect(await a.watermark('booking', `k-${run}`)).toBe(4);
    const again = await b.invalidate({
      keys: ['booking:k'],
      aggregate: { type: 'booking', id: `k-${run}`, sequence: 3 },
    });
    expect(again.replayed).toBe(true);
    expect(await a.watermark('booking', `k-${run}`)).toBe(4);
  });
});
