import type { EventType } from '../../schemas/index.ts';
import type { Handler, Handlers } from '../framework/index.ts';
import type { Cache } from './cache.ts';
import { redisError } from './errors.ts';
import type { CacheMetrics } from './metrics.ts';
import { type InvalidationRule, type InvalidationRules, invalidationRules } from './rules.ts';

/** The consumer group id. */
export const cacheInvalidationGroup = 'cache-invalidation';

/**
 * One handler per rule: drop the rule's keys and tag members and stamp the aggregate's
 * sequence as its watermark, in one Lua script. Idempotent (deleting twice is harmless), so
 * at-least-once delivery needs no dedupe. Event types without a rule are skipped by the
 * framework and counted (`reason="no-handler"`).
 */
export function cacheInvalidationHandlers({
  cache,
  metrics,
  rules = invalidationRules,
}: {
  cache: Cache;
  metrics?: CacheMetrics;
  rules?: InvalidationRules;
}): Handlers {
  const handlers: Record<string, Handler<EventType>> = {};
  for (const [type, rule] of Object.entries(rules) as [EventType, InvalidationRule<EventType>][]) {
    handlers[type] = async (event) => {
      const { keys = [], tags = [] } = rule(event.payload, event);
      const r = await cache
        .invalidate({
          keys,
          tags,
          aggregate: { type: event.aggregateType, id: event.aggregateId, sequence: event.sequence },
        })
        .catch((e: unknown) => {
          throw redisError(e);
        });
      metrics?.invalidations.inc({ event_type: type });
      metrics?.entriesDropped.inc({ event_type: type }, r.entriesDropped);
      metrics?.tagFanout.observe({ event_type: type }, r.tagMembers);
      if (r.replayed) metrics?.replayed.inc();
    };
  }
  return handlers as Handlers;
}
