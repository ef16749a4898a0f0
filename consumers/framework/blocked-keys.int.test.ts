import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { createPgBlockedKeyStore, releaseBlockedKey } from './blocked-keys.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import { metricNames } from './metrics.ts';
import { createTopic, deleteTopics, eventMessage, produce } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const run = randomUUID().slice(0, 8);
const topic = `test.blocked-keys.${run}`;
const group = `test-blocked-keys-${run}`;
let pool: pg.Pool;
let consumer: Consumer | undefined;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 2 });
  await createTopic(kafka, topic, 2);
});
afterAll(async () => {
  await consumer?.stop();
  await deleteTopics(kafka, [topic, `${topic}.dlq.${group}`]);
  await pool.query('DELETE FROM consumer_blocked_keys WHERE consumer_group = $1', [group]);
  await pool.end();
});

describe('block-key releases', () => {
  it('take effect on a running consumer, without a rebalance or restart', async () => {
    const key = `booking-${run}`;
    const schemaId = await createSchemaIds(registry).idFor('booking.created');
    const event = (sequence: number) =>
      eventMessage(
        'booking.created',
        key,
        sequence,
        { ...samples['booking.created'], reference: `#${sequence}` },
        schemaId,
      );
    const seen: number[] = [];
    const deadLettered: string[] = [];
    let joins = 0;
    consumer = defineConsumer({
      group,
      kafka,
      registry,
      logger: pino({ level: 'silent' }),
      fromBeginning: true,
      topicNames: { 'events.booking': topic },
      orderingOnFailure: 'block-key',
      blockedKeys: createPgBlockedKeyStore(pool),
      blockedKeysRefreshMs: 200,
      retry: { maxAttempts: 1 },
      handlers: {
        'booking.created': async (e) => {
          if (e.sequence === 1) throw new Error('always fails');
          seen.push(e.sequence);
        },
      },
    });
    consumer.events.on('joined', () => joins++);
    consumer.events.on('dead-lettered', (d) => deadLettered.push(d.reason));
    const blockedKeys = async () => {
      const text = await consumer!.metrics.getSingleMetricAsString(metricNames.blockedKeys);
      return Number(text.match(new RegExp(`group="${group}"} (\\d+)`))?.[1] ?? Number.NaN);
    };
    await consumer.start();

    await produce(kafka, topic, [event(1), event(2)]);
    await waitFor(() => deadLettered.length === 2, { timeoutMs: 60_000, what: 'the key to be blocked' });
    expect(deadLettered).toEqual(['retries-exhausted', 'blocked']);
    expect(seen).toEqual([]);
    expect(await blockedKeys()).toBe(1);

    // Ops replays the key's dead letters, then releases it while the consumer runs: the
    // member picks the release up (its blocked-keys gauge drops) and handles the key again.
    expect(await releaseBlockedKey(pool, group, topic, key)).toBe(true);
    await waitFor(async () => (await blockedKeys()) === 0, { timeoutMs: 30_000, what: 'the release' });
    await produce(kafka, topic, [event(3)]);
    await waitFor(() => seen.includes(3) || deadLettered.length > 2, {
      timeoutMs: 60_000,
      what: 'the released key’s next event',
    });
    expect(seen).toEqual([3]);
    expect(deadLettered).toHaveLength(2);
    expect(joins).toBe(1);
  });
});
