import type { KafkaAdmin } from '../../core/kafka/index.ts';

/** A topic's first offset held and log end, by partition. */
export interface Bounds {
  low: bigint[];
  high: bigint[];
}

/** How old an answer may be by default (ms). */
const reuseMs = 1_000;

/**
 * The log bounds of the event topics, as resumes check them (a token's offsets against the
 * log end, a gap's start against retention). Concurrent calls for a topic share one admin
 * request, and an answer asked for at or after `notBefore` is reused: a storm of resumes costs
 * one request per topic, not one per client.
 */
export function createLogBounds(admin: Pick<KafkaAdmin, 'partitionBounds'>) {
  const cache = new Map<string, { askedAt: number; bounds: Promise<Bounds> }>();
  return {
    /** The bounds of `topic`, asked for at or after `notBefore` (default: within the last second). */
    bounds(topic: string, notBefore = Date.now() - reuseMs): Promise<Bounds> {
      const known = cache.get(topic);
      if (known && known.askedAt >= notBefore) return known.bounds;
      const askedAt = Date.now();
      const bounds = admin.partitionBounds(topic).then((list) => {
        const out: Bounds = { low: [], high: [] };
        for (const b of list) {
          out.low[b.partition] = b.low;
          out.high[b.partition] = b.high;
        }
        return out;
      });
      cache.set(topic, { askedAt, bounds });
      bounds.catch(() => {
        if (cache.get(topic)?.bounds === bounds) cache.delete(topic);
      });
      return bounds;
    },
  };
}

/** What {@link createLogBounds} returns. */
export type LogBounds = ReturnType<typeof createLogBounds>;
