import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ErrorCode, OutstreamError } from '../../core/errors.ts';

/** A transaction on the caller's connection (a `pg` client after BEGIN). */
export type IdempotencyTx = Pick<pg.ClientBase, 'query'>;

/**
 * Records that `group` processed `eventId`, inside the caller's transaction. Returns false
 * when it was already recorded: the caller then does nothing (its earlier transaction did
 * the work). Since the row commits or rolls back with the handler's own writes, the effect
 * happens exactly once per group, however often Kafka redelivers the event. A concurrent
 * duplicate (two members during a rebalance) waits on the primary key and then sees it.
 *
 * @example
 * await tx.query('BEGIN');
 * if (await claimEvent(tx, 'analytics', event.id)) await tx.query('UPDATE daily SET n = n + 1 …');
 * await tx.query('COMMIT');
 */
export async function claimEvent(tx: IdempotencyTx, group: string, eventId: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'INSERT INTO processed_events (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [group, eventId],
  );
  return rowCount === 1;
}

/** What {@link processOnce} did. */
export type OnceResult<T> = { duplicate: false; value: T } | { duplicate: true };

/**
 * Runs `work` in a transaction on a pooled client, once per (group, event id): the claim and
 * the work commit together, or not at all (a throw rolls both back, and the framework
 * retries). The Postgres flavour of exactly-once effects.
 *
 * @example
 * handlers: {
 *   'booking.confirmed': async (e) => {
 *     await processOnce(pool, 'analytics', e.id, (tx) =>
 *       tx.query('INSERT INTO confirmed_bookings (id, at) VALUES ($1, $2)', [e.aggregateId, e.occurredAt]));
 *   },
 * }
 */
export async function processOnce<T>(
  pool: pg.Pool,
  group: string,
  eventId: string,
  work: (tx: pg.PoolClient) => Promise<T>,
): Promise<OnceResult<T>> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (!(await claimEvent(client, group, eventId))) {
      await client.query('ROLLBACK');
      return { duplicate: true };
    }
    const value = await work(client);
    await client.query('COMMIT');
    return { duplicate: false, value };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** Another delivery of the same event holds the Redis lease: retried until it finishes or expires. */
export class IdempotencyPendingError extends OutstreamError {
  readonly eventId: string;
  constructor(group: string, eventId: string) {
    super(
      ErrorCode.idempotencyPending,
      `event ${eventId} is being processed by another delivery (${group})`,
      {
        retriable: true,
      },
    );
    this.eventId = eventId;
  }
}

/** Options of {@link createRedisIdempotency}. */
export interface RedisIdempotencyOptions {
  group: string;
  /** How long a finished event is remembered; choose at least the topics' retention. */
  ttlMs: number;
  /**
   * How long a delivery may hold an event before another may take over (a crash mid-effect
   * frees it after this). Default 60 s.
   */
  leaseMs?: number;
  /** Key prefix (default `outstream:processed`). */
  prefix?: string;
}

// Deletes the lease only if it is still ours (a slow delivery must not free another's lease).
const releaseScript =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
// Marks done only if the lease is still ours.
const finishScript =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('set', KEYS[1], 'done', 'PX', ARGV[2]) end return 0";

/**
 * Deduplication in Redis for side effects outside the database (an email, a webhook): the
 * first delivery takes a lease (`SET NX PX`), runs the effect, and marks the event done for
 * `ttlMs`; a redelivery of a done event is skipped; a redelivery while the lease is held gets a
 * retriable {@link IdempotencyPendingError}; a failed effect frees the lease for the retry.
 * A crash in the middle of the effect is retried once the lease expires: the effect may then
 * happen twice, which is the best any store outside the effect's own system can promise.
 *
 * @example
 * const dedupe = createRedisIdempotency(redis, { group: 'notifications', ttlMs: 7 * 86_400_000 });
 * const r = await dedupe.once(e.id, () => mailer.send(…));
 * if (r.duplicate) return skip('already sent');
 */
export function createRedisIdempotency(redis: Redis, options: RedisIdempotencyOptions) {
  const { group, ttlMs, leaseMs = 60_000, prefix = 'outstream:processed' } = options;
  const keyOf = (eventId: string) => `${prefix}:${group}:${eventId}`;
  return {
    async once<T>(eventId: string, effect: () => Promise<T>): Promise<OnceResult<T>> {
      const key = keyOf(eventId);
      const token = `lease:${randomUUID()}`;
      if ((await redis.set(key, token, 'PX', leaseMs, 'NX')) !== 'OK') {
        if ((await redis.get(key)) === 'done') return { duplicate: true };
        throw new IdempotencyPendingError(group, eventId);
      }
      let value: T;
      try {
        value = await effect();
      } catch (e) {
        await redis.eval(releaseScript, 1, key, token).catch(() => {});
        throw e;
      }
      await redis.eval(finishScript, 1, key, token, String(ttlMs));
      return { duplicate: false, value };
    },
    /** True when the event is recorded as done. */
    async isDone(eventId: string): Promise<boolean> {
      return (await redis.get(keyOf(eventId))) === 'done';
    },
  };
}

/** The helper {@link createRedisIdempotency} returns. */
export type RedisIdempotency = ReturnType<typeof createRedisIdempotency>;
