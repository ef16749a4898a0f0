import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CacheWaitTimeoutError, checkName } from './errors.ts';
import { fillScript, invalidateScript, renewScript, unlockScript } from './scripts.ts';
import { createWaiters } from './waiters.ts';

/** Turns values into the strings Redis stores, and back. */
export interface CacheCodec<T> {
  encode(value: T): string;
  decode(text: string): T;
}

/** JSON: the default codec. A `Date` comes back as its ISO string: pass a codec for richer types. */
export const jsonCodec: CacheCodec<unknown> = {
  encode: (v) => JSON.stringify(v),
  decode: (t) => JSON.parse(t) as unknown,
};

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** A connection for commands (the caller owns it). The cache duplicates it once for fill notices. */
  redis: Redis;
  /** Prefix of every Redis key the cache writes (default `outstream:cache:`). */
  prefix?: string;
  /** Lifetime of an entry unless `get` says otherwise (default 5 min). */
  defaultTtlMs?: number;
  /** Loader lock lifetime, renewed while the loader runs (default 10 s). */
  lockTtlMs?: number;
  /** How long a caller waits for another process's loader before giving up (default 15 s). */
  waitTimeoutMs?: number;
  /**
   * How long an invalidation's watermark is kept (default 10 min). A fill is refused when
   * its loader ran longer than half of this: the watermark it must be checked against may be gone.
   */
  watermarkTtlMs?: number;
}

/** Options of one {@link Cache.get}. */
export interface GetOptions<T> {
  /** Reads the value from the source of truth; runs in at most one process at a time per key. */
  loader: () => Promise<T>;
  /** Tags the entry is dropped with (e.g. `hotel:1:availability`). Give a key the same tags every time. */
  tags?: readonly string[];
  ttlMs?: number;
  codec?: CacheCodec<T>;
}

/** What one invalidation dropped. */
export interface InvalidationResult {
  /** Entries deleted (named keys plus tag members that existed). */
  entriesDropped: number;
  /** Members the named tags had: the fan-out of this invalidation. */
  tagMembers: number;
  /** The epoch stamped on every named key and tag. */
  epoch: number;
  /** True when the aggregate's recorded sequence was already at or above this one (a redelivery). */
  replayed: boolean;
}

/** Counters of one process (`local`), and those every process shares through Redis (`shared`). */
export interface CacheStats {
  local: {
    hits: number;
    misses: number;
    loads: number;
    fills: number;
    staleFillsRefused: number;
    waits: number;
  };
  shared: Record<string, number>;
}

interface Commands {
  outstreamCacheFill(...args: (string | number)[]): Promise<number>;
  outstreamCacheInvalidate(...args: (string | number)[]): Promise<[number, number, number, number]>;
  outstreamCacheUnlock(key: string, token: string): Promise<number>;
  outstreamCacheRenew(key: string, token: string, ttlMs: number): Promise<number>;
}

/**
 * A typed read-through cache in Redis with stampede protection and race-safe fills.
 *
 * - One loader per key at a time, across processes: the first caller takes a Redis lock
 *   (renewed while it loads); callers in other processes wait for its fill notice; callers
 *   in the same process share its promise.
 * - Race-safe fills: before loading, the loader snapshots the watermarks of the key and its
 *   tags. Every invalidation stamps a fresh epoch on the keys and tags it drops, and the
 *   fill (a Lua script) is refused if any of them moved: data read before an event can
 *   never be written after the event's invalidation.
 * - Tags are Redis sets of keys: invalidating a tag deletes its members, never scanning.
 *
 * @example
 * const cache = createCache({ redis });
 * const booking = await cache.get(`booking:${id}`, {
 *   tags: [`hotel:${hotelId}:bookings`],
 *   loader: () => bookings.find(id),
 * });
 */
export function createCache(options: CacheOptions) {
  const redis = options.redis;
  const prefix = options.prefix ?? 'outstream:cache:';
  const defaultTtlMs = options.defaultTtlMs ?? 5 * 60_000;
  const lockTtlMs = options.lockTtlMs ?? 10_000;
  const waitTimeoutMs = options.waitTimeoutMs ?? 15_000;
  const watermarkTtlMs = options.watermarkTtlMs ?? 10 * 60_000;
  const k = {
    value: (key: string) => `${prefix}v:${key}`,
    tag: (tag: string) => `${prefix}t:${tag}`,
    mark: (name: string) => `${prefix}w:${name}`,
    lock: (key: string) => `${prefix}l:${key}`,
    seq: (type: string, id: string) => `${prefix}seq:${type}:${id}`,
    filled: (key: string) => `${prefix}filled:${key}`,
    epoch: `${prefix}epoch`,
    stats: `${prefix}stats`,
  };
  for (const [name, lua] of [
    ['outstreamCacheFill', fillScript],
    ['outstreamCacheInvalidate', invalidateScript],
  ] as const) {
    if (!(name in redis)) redis.defineCommand(name, { lua });
  }
  if (!('outstreamCacheUnlock' in redis))
    redis.defineCommand('outstreamCacheUnlock', { lua: unlockScript, numberOfKeys: 1 });
  if (!('outstreamCacheRenew' in redis))
    redis.defineCommand('outstreamCacheRenew', { lua: renewScript, numberOfKeys: 1 });
  const cmd = redis as unknown as Commands;
  const waiters = createWaiters(redis);
  const inflight = new Map<string, Promise<unknown>>();
  const local: CacheStats['local'] = {
    hits: 0,
    misses: 0,
    loads: 0,
    fills: 0,
    staleFillsRefused: 0,
    waits: 0,
  };

  /** Runs the loader under the key's lock and fills if no invalidation intervened. */
  async function loadAndFill<T>(
    key: string,
    token: string,
    tags: readonly string[],
    o: GetOptions<T>,
    codec: CacheCodec<T>,
  ) {
    const lockKey = k.lock(key);
    const renew = setInterval(() => {
      cmd.outstreamCacheRenew(lockKey, token, lockTtlMs).catch(() => {});
    }, lockTtlMs / 3);
    renew.unref();
    let outcome: 'filled' | 'refused' = 'refused';
    try {
      const deps = [key, ...tags];
      // The snapshot must precede the loader's read: that is the whole race argument.
      const [cached, ...marks] = await redis.mget(k.value(key), ...deps.map(k.mark));
      if (cached !== null && cached !== undefined) {
        outcome = 'filled';
        return codec.decode(cached);
      }
      const started = Date.now();
      local.loads++;
      const value = await o.loader();
      if (value === undefined) return value;
      if (Date.now() - started > watermarkTtlMs / 2) {
        local.staleFillsRefused++;
        return value;
      }
      const filled = await cmd.outstreamCacheFill(
        2 + deps.length + tags.length,
        k.stats,
        k.value(key),
        ...deps.map(k.mark),
        ...tags.map(k.tag),
        deps.length,
        tags.length,
        codec.encode(value),
        o.ttlMs ?? defaultTtlMs,
        ...marks.map((m) => m ?? '0'),
        key,
      );
      if (filled === 1) {
        local.fills++;
        outcome = 'filled';
      } else local.staleFillsRefused++;
      // A refused fill still answers this caller: its read began before the invalidation.
      return value;
    } finally {
      clearInterval(renew);
      await cmd.outstreamCacheUnlock(lockKey, token).catch(() => {});
      await redis.publish(k.filled(key), outcome).catch(() => {});
    }
  }

  async function readThrough<T>(
    key: string,
    tags: readonly string[],
    o: GetOptions<T>,
    codec: CacheCodec<T>,
  ) {
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      const token = randomUUID();
      if ((await redis.set(k.lock(key), token, 'PX', lockTtlMs, 'NX')) === 'OK') {
        return loadAndFill(key, token, tags, o, codec);
      }
      local.waits++;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new CacheWaitTimeoutError(key, waitTimeoutMs);
      // Wake on the holder's fill notice; poll too, in case the notice came before we listened
      // or the holder died (its lock then expires).
      await waiters.wait(k.filled(key), Math.min(remaining, 100), async () => {
        const v = await redis.get(k.value(key));
        return v !== null;
      });
      const cached = await redis.get(k.value(key));
      if (cached !== null) {
        local.hits++;
        return codec.decode(cached);
      }
    }
  }

  return {
    /**
     * The value of `key`: from Redis when present, else from `loader` (once across every
     * process), then stored with its tags unless an invalidation happened meanwhile.
     *
     * @throws InvalidCacheKeyError for an empty or oversized key or tag.
     * @throws CacheWaitTimeoutError when another process's loader held the key too long.
     */
    async get<T>(key: string, o: GetOptions<T>): Promise<T> {
      checkName('key', key);
      const tags = [...new Set(o.tags ?? [])].map((t) => checkName('tag', t));
      const codec = (o.codec ?? jsonCodec) as CacheCodec<T>;
      const cached = await redis.get(k.value(key));
      if (cached !== null) {
        local.hits++;
        return codec.decode(cached);
      }
      local.misses++;
      const running = inflight.get(key) as Promise<T> | undefined;
      if (running) return running;
      const p = readThrough(key, tags, o, codec).finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },

    /**
     * Drops keys and every member of tags, and refuses in-flight fills of them. With an
     * `aggregate`, also records its sequence as the aggregate's watermark (what the
     * invalidation group does for each event).
     */
    async invalidate(target: {
      keys?: readonly string[];
      tags?: readonly string[];
      aggregate?: { type: string; id: string; sequence: number };
    }): Promise<InvalidationResult> {
      const keys = [...new Set(target.keys ?? [])].map((x) => checkName('key', x));
      const tags = [...new Set(target.tags ?? [])].map((x) => checkName('tag', x));
      const a = target.aggregate;
      const [dropped, fanout, epoch, replayed] = await cmd.outstreamCacheInvalidate(
        3,
        k.stats,
        k.epoch,
        a ? k.seq(a.type, a.id) : k.stats,
        prefix,
        watermarkTtlMs,
        a ? String(a.sequence) : '',
        // Sequences are kept as long as an event can be redelivered (the topics' retention).
        7 * 24 * 3600_000,
        keys.length,
        ...keys,
        ...tags,
      );
      return { entriesDropped: dropped, tagMembers: fanout, epoch, replayed: replayed === 1 };
    },

    /** The highest sequence of an aggregate the invalidation group has applied (0 if none). */
    async watermark(aggregateType: string, aggregateId: string): Promise<number> {
      return Number((await redis.get(k.seq(aggregateType, aggregateId))) ?? 0);
    },

    /** The members of a tag (for tests and operators). */
    async tagMembers(tag: string): Promise<string[]> {
      return (await redis.smembers(k.tag(checkName('tag', tag)))).sort();
    },

    /** Whether an entry is present, without loading it. */
    async has(key: string): Promise<boolean> {
      return (await redis.exists(k.value(checkName('key', key)))) === 1;
    },

    async stats(): Promise<CacheStats> {
      const shared = await redis.hgetall(k.stats);
      return {
        local: { ...local },
        shared: Object.fromEntries(Object.entries(shared).map(([name, v]) => [name, Number(v)])),
      };
    },

    /** Closes the subscriber connection (the command connection stays the caller's). */
    close: () => waiters.close(),
  };
}

/** The cache {@link createCache} returns. */
export type Cache = ReturnType<typeof createCache>;
