import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
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

describe('an idle consumer', () => {
  it('long-polls: no busy loop of timers or CPU while nothing arrives', async () => {
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
    // Count every timer armed while nothing happens. A loop spinning on a short timer (kafkajs
    // 2.2.4's request queue armed one per millisecond per connection) would arm thousands;
    // long polls of `maxWaitMs` (100 ms), heartbeats and the commit tick arm a few dozen.
    const original = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return original(...args);
    }) as typeof setTimeout;
    const cpu = process.cpuUsage();
    try {
      await sleep(2_000);
    } finally {
      globalThis.setTimeout = original;
    }
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    console.log(`[idle] 2 s idle: ${timers} timers armed, ${Math.round(cpuMs)} ms of CPU`);
    expect(timers).toBeLessThan(200);
    expect(cpuMs).toBeLessThan(300);
    expect(consumer.status()).toMatchObject({ state: 'running', degraded: undefined });
  });
});
