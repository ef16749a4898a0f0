import { Redis } from 'ioredis';
import { localPorts } from '../../core/config.ts';
import type { GroupDefinition } from '../runtime/run-group.ts';
import { createCache } from './cache.ts';
import { cacheInvalidationGroup, cacheInvalidationHandlers } from './group.ts';
import { createCacheMetrics } from './metrics.ts';

/** The cache-invalidation group as a runnable (`npm run consumer -- cache-invalidation`). */
export const cacheInvalidation: GroupDefinition = {
  name: cacheInvalidationGroup,
  healthPort: localPorts.cacheInvalidationHealth,
  startAt: 'end',
  async build({ config, metricsRegistry, logger }) {
    // A command is given up after 3 reconnection attempts (MaxRetriesPerRequestError: the
    // handler's retry waits the outage out); the connection itself reconnects for ever.
    // Auto-pipelining sends the invalidations a batch starts in one tick as one write: a
    // loopback write costs more CPU than the Lua call on a virtual machine (README "Measured").
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
    let reported = false;
    // An 'error' event nobody hears is printed by ioredis for every failed reconnection.
    redis.on('error', (e) => {
      if (!reported) logger.warn({ err: e }, 'Redis connection failed; reconnecting');
      reported = true;
    });
    redis.on('ready', () => {
      if (reported) logger.info('Redis connection is back');
      reported = false;
    });
    const cache = createCache({ redis });
    return {
      options: {
        handlers: cacheInvalidationHandlers({ cache, metrics: createCacheMetrics(metricsRegistry, cache) }),
        // Invalidations are one small Lua call each: many in flight keeps Redis busy, not waiting.
        inFlight: 256,
      },
      async close() {
        await cache.close();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  },
};
