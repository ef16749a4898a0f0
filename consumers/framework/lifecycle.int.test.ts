import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import type { HandlerContext } from './handler.ts';
import { claimEvent, createRedisIdempotency, processOnce } from './idempotency.ts';
import { createTopic, deleteTopics, eventMessage, produce, withAdmin } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const run = randomUUID().slice(0, 8);
const topic = `test.lifecycle.${run}`;
const consumers: Consumer[] = [];
let pool: pg.Pool;
let redis: Redis;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 8 });
  redis = new Redis(config.redis.url, { lazyConnect: true });
  await redis.connect();
  await createTopic(kafka, topic, 1);
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await deleteTopics(kafka, [topic]);
  await pool.end();
  redis.disconnect();
});

/** Produces `n` user.registered events, one key each, onto the test topic; returns their offsets' end. */
async function produceUsers(n: number): Promise<void> {
  const id = await createSchemaIds(registry).idFor('user.registered');
  const messages = Array.from({ length: n }, (_, i) =>
    eventMessage(
      'user.registered',
      `user-${run}-${i}`,
      1,
      { ...samples['user.registered'], userId: randomUUID() },
      id,
    ),
  );
  await produce(kafka, topic, messages);
}

async function committed(group: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const [p] = await admin.committedOffsets(group, [topic]);
    return p === undefined ? -1 : Number(p.offset);
  });
}

function userConsumer(
  group: string,
  handler: (ctx: HandlerContext) => Promise<void>,
  drainTimeoutMs: number,
) {
  const c = defineConsumer({
    group,
    kafka,
    registry,
    logger: pino({ level: 'silent' }),
    fromBeginning: true,
    drainTimeoutMs,
    topicNames: { 'events.user': topic },
    handlers: { 'user.registered': (_e, ctx) => handler(ctx) },
  });
  consumers.push(c);
  return c;
}

describe('graceful shutdown', () => {
  it('waits for in-flight handlers, commits them, and leaves the group', async () => {
    await produceUsers(5);
    let started = 0;
    let finished = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const group = `test-shutdown-${run}`;
    const c = userConsumer(
      group,
      async () => {
        started++;
        await gate;
        finished++;
      },
      30_000,
    );
    await c.start();
    await waitFor(() => started === 5, { timeoutMs: 30_000, what: '5 handlers in flight' });
    const stopping = c.stop();
    await sleep(300);
    expect(finished).toBe(0);
    release();
    await stopping;
    expect(finished).toBe(5);
    expect(c.status().state).toBe('stopped');
    expect(await committed(group)).toBe(5);
    const [description] = await withAdmin(kafka, (admin) => admin.describeGroups([group]));
    expect(description?.members ?? []).toEqual([]);
  });

  it('abandons a handler past the drain deadline, signals it, and commits nothing past it', async () => {
    const group = `test-deadline-${run}`;
    const signals: AbortSignal[] = [];
    let calls = 0;
    const c = userConsumer(
      group,
      async (ctx) => {
        // The first event's handler hangs; the others are quick.
        if (++calls === 1) {
          signals.push(ctx.signal);
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          return;
        }
      },
      500,
    );
    await c.start();
    await waitFor(() => calls >= 5, { timeoutMs: 30_000, what: 'all five handlers started' });
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(signals[0]?.aborted).toBe(true);
    // Offset 0 never finished: nothing past it was committed (only the start position, 0), so
    // the group starts from it again.
    expect(await committed(group)).toBeLessThanOrEqual(0);
  });
});

describe('idempotency helpers', () => {
  it('processOnce: concurrent deliveries of one event have one effect', async () => {
    const eventId = randomUUID();
    const group = `test-once-${run}`;
    let effects = 0;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        processOnce(pool, group, eventId, async () => {
          effects++;
          await sleep(50);
        }),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(effects).toBe(1);
    // A rolled-back claim does not count.
    const other = randomUUID();
    await expect(
      processOnce(pool, group, other, async () => {
        throw new Error('effect failed');
      }),
    ).rejects.toThrow('effect failed');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      expect(await claimEvent(client, group, other)).toBe(true);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('Redis: done once, pending while leased, released on failure', async () => {
    const dedupe = createRedisIdempotency(redis, { group: `test-${run}`, ttlMs: 60_000, leaseMs: 5_000 });
    const id = randomUUID();
    let release!: () => void;
    const first = dedupe.once(id, () => new Promise<string>((r) => (release = () => r('sent'))));
    await waitFor(() => release !== undefined, { timeoutMs: 5_000, what: 'the first effect to start' });
    const concurrent = await dedupe.once(id, async () => 'twice').catch((e: unknown) => e);
    expect(isOutstreamError(concurrent, ErrorCode.idempotencyPending)).toBe(true);
    expect((concurrent as { retriable: boolean }).retriable).toBe(true);
    release();
    expect(await first).toEqual({ duplicate: false, value: 'sent' });
    expect(await dedupe.once(id, async () => 'again')).toEqual({ duplicate: true });
    expect(await dedupe.isDone(id)).toBe(true);
    expect(await redis.pttl(`outstream:processed:test-${run}:${id}`)).toBeGreaterThan(50_000);

    const failing = randomUUID();
    await expect(dedupe.once(failing, async () => Promise.reject(new Error('smtp down')))).rejects.toThrow(
      'smtp down',
    );
    expect(await dedupe.once(failing, async () => 'retried')).toEqual({ duplicate: false, value: 'retried' });
  });
});
