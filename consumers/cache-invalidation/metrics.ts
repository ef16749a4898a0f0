import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Cache } from './cache.ts';

/** Metric names of the cache-invalidation group. */
export const cacheMetricNames = {
  invalidations: 'outstream_cache_invalidations_total',
  entriesDropped: 'outstream_cache_entries_dropped_total',
  tagFanout: 'outstream_cache_tag_fanout',
  replayed: 'outstream_cache_replayed_invalidations_total',
  staleFillsRefused: 'outstream_cache_stale_fills_refused',
} as const;

/** Registers the group's metrics; `staleFillsRefused` is read from Redis (every process's fills) on scrape. */
export function createCacheMetrics(registry: Registry, cache: Cache) {
  const registers = [registry];
  return {
    invalidations: new Counter({
      name: cacheMetricNames.invalidations,
      help: 'Events applied to the cache, by event type.',
      labelNames: ['event_type'],
      registers,
    }),
    entriesDropped: new Counter({
      name: cacheMetricNames.entriesDropped,
      help: 'Cache entries deleted (named keys and tag members that existed).',
      labelNames: ['event_type'],
      registers,
    }),
    tagFanout: new Histogram({
      name: cacheMetricNames.tagFanout,
      help: 'Members of the tags one event invalidated (its fan-out).',
      labelNames: ['event_type'],
      buckets: [0, 1, 2, 5, 10, 50, 100, 500, 1000, 5000],
      registers,
    }),
    replayed: new Counter({
      name: cacheMetricNames.replayed,
      help: 'Invalidations whose sequence was not above the aggregate watermark (redeliveries; applied anyway).',
      registers,
    }),
    staleFillsRefused: new Gauge({
      name: cacheMetricNames.staleFillsRefused,
      help: 'Fills refused because their read predates an invalidation, over every process (Redis counter).',
      registers,
      async collect() {
        this.set((await cache.stats()).shared.staleFillsRefused ?? 0);
      },
    }),
  };
}

/** The metrics {@link createCacheMetrics} returns. */
export type CacheMetrics = ReturnType<typeof createCacheMetrics>;
