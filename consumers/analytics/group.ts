import type pg from 'pg';
import { Counter, Histogram, type Registry } from 'prom-client';
import { postgresError } from '../../core/db.ts';
import { ErrorCode, OutstreamError } from '../../core/errors.ts';
import { type EventType, eventTypes } from '../../schemas/index.ts';
import type { Handler, Handlers } from '../framework/index.ts';
import { createGroupCommit } from '../runtime/group-commit.ts';
import { applyFacts, liveSchema } from './aggregate.ts';
import { type Fact, factOf } from './rules.ts';

/** The consumer group id. */
export const analyticsGroup = 'analytics';

/**
 * Writing a batch of totals failed; retriable unless PostgreSQL rejected the data itself. (A
 * database that is unavailable is not this error but a `DependencyUnavailableError`: waited
 * out, never dead-lettered.)
 */
export class AnalyticsWriteError extends OutstreamError {
  readonly sqlState: string | undefined;
  constructor(cause: unknown) {
    const sqlState = (cause as { code?: unknown })?.code;
    const state = typeof sqlState === 'string' ? sqlState : undefined;
    // Class 22 (data exception, e.g. numeric overflow) and 23 (constraint) will fail again.
    const permanent = state !== undefined && /^2[23]/.test(state);
    super(ErrorCode.analyticsWrite, `analytics write failed: ${(cause as Error)?.message ?? cause}`, {
      retriable: !permanent,
      cause,
    });
    this.sqlState = state;
  }
}

/** Metrics of the analytics group. */
export function createAnalyticsMetrics(registry: Registry) {
  const registers = [registry];
  return {
    batchSize: new Histogram({
      name: 'outstream_analytics_batch_size',
      help: 'Events per analytics transaction (group commit).',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    }),
    counted: new Counter({
      name: 'outstream_analytics_events_counted_total',
      help: 'Events added to the totals.',
      registers,
    }),
    duplicates: new Counter({
      name: 'outstream_analytics_duplicates_total',
      help: 'Redelivered events found in counted_events and ignored.',
      registers,
    }),
  };
}

/**
 * Handlers for every event type: each event becomes a fact (analytics/rules.ts), and the
 * facts of concurrently handled events are written together — claimed ids and totals in one
 * transaction — so a redelivery or a crash mid-batch changes no total. A handler returns
 * once its event's transaction committed; only then does the framework commit its offset.
 */
export function analyticsHandlers({
  pool,
  schema = liveSchema,
  metrics,
}: {
  pool: pg.Pool;
  schema?: string;
  metrics?: ReturnType<typeof createAnalyticsMetrics>;
}): Handlers {
  const commit = createGroupCommit<Fact>({
    maxBatch: 1000,
    async flush(facts) {
      let r: Awaited<ReturnType<typeof applyFacts>>;
      try {
        // One statement, one round trip: its own transaction, under the swap lock (shared).
        r = await applyFacts(pool, facts, schema);
      } catch (e) {
        const outage = postgresError(e);
        if (outage !== e) throw outage;
        throw new AnalyticsWriteError(e);
      }
      metrics?.batchSize.observe(facts.length);
      metrics?.counted.inc(r.counted);
      if (r.duplicates > 0) metrics?.duplicates.inc(r.duplicates);
    },
  });
  const handler: Handler<EventType> = async (event) => {
    await commit.add(factOf(event as never));
  };
  return Object.fromEntries(eventTypes.map((t) => [t, handler])) as Handlers;
}
