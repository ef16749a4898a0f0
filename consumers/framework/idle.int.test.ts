import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import { createTopic, deleteTopics } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const topic = `test.idle.${randomUUID().slice(0, 8)}`;
let consumer: Consumer | undefined;

afterAll(async () => {
  await consumer?.stop();
  await deleteTopics(kafka, [topic]);
});

describe('an idle consumer (kafkajs #1556)', () => {
  it('does not spin a timer loop in the kafkajs request queue', async () => {
    await createTopic(kafka, topic, 3);
    consumer = defineConsumer({
      group: `test-idle-${randomUUID().slice(0, 8)}`,
      kafka,
      registry: createSchemaRegistry({ url: config.registry.url }),
      logger: pino({ level: 'silent' }),
      topicNames: { 'events.user': topic },
      handlers: { 'user.registered': async () => {} },
    });
    await consumer.start();
    // Count the timers the request queue arms while nothing happens: kafkajs 2.2.4 arms
    // one every millisecond per connection (~1000/s each); fixed, only fetch long-polls remain.
    const original = globalThis.setTimeout;
    let queueTimers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      if (new Error().stack?.includes('requestQueue')) queueTimers++;
      return original(...args);
    }) as typeof setTimeout;
    try {
      await sleep(2_000);
    } finally {
      globalThis.setTimeout = original;
    }
    expect(queueTimers).toBeLessThan(50);
  });
});
