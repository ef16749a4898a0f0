/**
 * Cache invalidation: the read-through cache services use (`createCache`), the key and tag
 * names shared by readers and rules, the invalidation rules, and the consumer group that
 * applies them. See consumers/cache-invalidation/README.md.
 */

export type { Cache, CacheCodec, CacheOptions, CacheStats, GetOptions, InvalidationResult } from './cache.ts';
export { createCache, jsonCodec } from './cache.ts';
export { cacheInvalidation } from './definition.ts';
export { CacheWaitTimeoutError, InvalidCacheKeyError } from './errors.ts';
export { cacheInvalidationGroup, cacheInvalidationHandlers } from './group.ts';
export { cacheKeys, cacheTags } from './keys.ts';
export type { CacheMetrics } from './metrics.ts';
export { cacheMetricNames, createCacheMetrics } from './metrics.ts';
export type { Invalidation, InvalidationRule, InvalidationRules } from './rules.ts';
export { invalidationRules } from './rules.ts';
