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
  async build({ config, metricsRegistry }) {
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3 });
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
