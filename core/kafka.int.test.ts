import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { ConfigResourceTypes, createKafka, Partitioners } from './kafka.ts';
import { waitFor } from './wait.ts';

// kafkajs 2.2.4 is unmaintained and was never tested upstream against Kafka 4.x brokers
// (which dropped many old protocol versions). This file proves, against the stack's broker,
// every capability Outstream relies on.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const admin = kafka.admin();
const topic = `test.kafka-client.${randomUUID()}`;

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('kafkajs against the stack broker', () => {
  it('creates topics with configs, describes configs and adds partitions', async () => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    });
    expect(resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(
      '3600000',
    );
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });

  it('produces idempotently with headers, consumes in a group, commits and reads back offsets', async () => {
    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const keys = ['a', 'b', 'c'];
    await producer.send({
      topic,
      acks: -1,
      messages: keys.flatMap((key) =>
        [1, 2, 3].map((n) => ({ key, value: `${key}${n}`, headers: { n: String(n) } })),
      ),
    });
    await producer.disconnect();

    const groupId = `test-group-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: { key: string; value: string; n: string }[] = [];
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen.push({ key: String(message.key), value: String(message.value), n: String(message.headers?.n) });
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    await waitFor(() => seen.length === 9, { timeoutMs: 60_000, what: '9 messages' });
    for (const key of keys) {
      expect(seen.filter((s) => s.key === key).map((s) => s.value)).toEqual([
        `${key}1`,
        `${key}2`,
        `${key}3`,
      ]);
    }
    expect(seen.every((s) => s.value.endsWith(s.n))).toBe(true);
    await consumer.disconnect();

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(total).toBe(9);
    const groups = await admin.describeGroups([groupId]);
    expect(groups.groups[0]?.state).toBe('Empty');
  });
});
