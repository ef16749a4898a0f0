import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { isOutstreamError } from '../errors.ts';
import { waitFor } from '../wait.ts';
import { createKafka, headerText, type KafkaRecord, type TopicPartition } from './index.ts';

// The contract of the Kafka port, proven against the stack's broker: everything Outstream
// relies on goes through these verbs, whatever adapter is behind them.
const config = loadConfig(process.env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-port' });
const admin = kafka.admin();
const created: string[] = [];

async function newTopic(partitions = 3): Promise<string> {
  const topic = `test.port.${randomUUID()}`;
  await admin.createTopics([{ topic, partitions, replicationFactor: 1 }]);
  created.push(topic);
  return topic;
}

async function readAll(
  ranges: Parameters<ReturnType<typeof kafka.reader>['read']>[0],
): Promise<KafkaRecord[]> {
  const reader = kafka.reader();
  const out: KafkaRecord[] = [];
  for await (const batch of reader.read(ranges)) out.push(...batch.records);
  await reader.close();
  return out;
}

afterAll(async () => {
  await admin.deleteTopics(created).catch(() => {});
  await admin.close();
});

describe('the Kafka port against the stack broker', () => {
  it('admin: creates topics with configs, reads and sets configs, adds partitions, describes', async () => {
    const topic = `test.port.${randomUUID()}`;
    await admin.createTopics([
      { topic, partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '3600000' } },
    ]);
    created.push(topic);
    const retention = (await admin.topicConfigs(topic)).find((c) => c.name === 'retention.ms');
    expect(retention).toMatchObject({ value: '3600000', isTopicOverride: true });
    await admin.setTopicConfigs(topic, { 'cleanup.policy': 'delete', 'retention.bytes': '1000000' });
    const after = await admin.topicConfigs(topic);
    expect(after.find((c) => c.name === 'retention.ms')?.value).toBe('3600000');
    expect(after.find((c) => c.name === 'retention.bytes')?.value).toBe('1000000');
    await admin.createPartitions(topic, 3);
    expect(await admin.describeTopics([topic, `missing.${randomUUID()}`])).toEqual([
      { topic, partitions: 3, replicationFactor: 1 },
    ]);
    expect(await admin.listTopics()).toContain(topic);
  });

  it('produces keyed records with headers and reads ranges back group-less, in order per partition', async () => {
    const topic = await newTopic(3);
    const producer = kafka.producer();
    const keys = ['a', 'b', 'c', 'd'];
    for (const n of [1, 2, 3]) {
      await producer.send(
        keys.map((key) => ({ topic, key, value: `${key}${n}`, headers: { n: String(n) } })),
      );
    }
    await producer.close();
    const bounds = await admin.partitionBounds(topic);
    expect(bounds.reduce((s, b) => s + Number(b.high - b.low), 0)).toBe(12);
    const records = await readAll({
      ranges: bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
    });
    expect(records).toHaveLength(12);
    for (const key of keys) {
      const mine = records.filter((r) => r.key?.toString() === key);
      expect(mine.map((r) => r.value?.toString())).toEqual([`${key}1`, `${key}2`, `${key}3`]);
      // One key, one partition.
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => headerText(r.headers, 'n'))).toEqual(['1', '2', '3']);
    }
    expect(records.every((r) => typeof r.offset === 'bigint' && r.timestamp > Date.now() - 60_000)).toBe(
      true,
    );
    // A sub-range: exactly those offsets.
    const p = bounds.find((b) => b.high - b.low >= 2)!;
    const slice = await readAll({
      ranges: [{ topic, partition: p.partition, from: p.low + 1n, to: p.high }],
    });
    expect(slice.map((r) => r.offset)).toEqual(
      Array.from({ length: Number(p.high - p.low - 1n) }, (_, i) => p.low + 1n + BigInt(i)),
    );
  });

  it('a bounded read that cannot reach its end fails by its deadline, naming the partition', async () => {
    const topic = await newTopic(1);
    const error = await readAll({
      ranges: [{ topic, partition: 0, from: 0n, to: 5n }],
      timeoutMs: 1_000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOutstreamError(error, 'KAFKA')).toBe(true);
    expect((error as Error).message).toContain(`${topic}/0`);
  });

  it('a follow read gets records written after it began, and ends when aborted', async () => {
    const topic = await newTopic(1);
    const abort = new AbortController();
    const reader = kafka.reader();
    const got: KafkaRecord[] = [];
    const reading = (async () => {
      for await (const b of reader.read({
        ranges: [{ topic, partition: 0, from: 0n }],
        signal: abort.signal,
      })) {
        got.push(...b.records);
      }
    })();
    const producer = kafka.producer();
    await producer.send([{ topic, key: 'k', value: 'later' }]);
    await waitFor(() => got.length === 1, {
      timeoutMs: 20_000,
      what: 'the record written after the read began',
    });
    abort.abort();
    await reading;
    await Promise.all([producer.close(), reader.close()]);
    expect(got[0]?.value?.toString()).toBe('later');
  });

  it('group consumer: assigned, fetches from where it is told, commits in one request, revoked on close', async () => {
    const topic = await newTopic(3);
    const producer = kafka.producer();
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic, key: `k${i}`, value: String(i) })));
    await producer.close();
    const groupId = `test-port-${randomUUID().slice(0, 8)}`;
    const events: string[] = [];
    const got: KafkaRecord[] = [];
    const consumer = kafka.groupConsumer({
      groupId,
      topics: [topic],
      protocol: 'classic',
      listener: {
        async assigned(partitions) {
          events.push(`assigned ${partitions.length}`);
          for (const p of partitions) consumer.seek({ ...p, offset: 0n });
        },
        async revoked(partitions) {
          events.push(`revoked ${partitions.length}`);
        },
        lost() {
          events.push('lost');
        },
      },
    });
    await consumer.start();
    expect(events).toEqual(['assigned 3']);
    const next = new Map<string, bigint>();
    await waitFor(
      async () => {
        for (const b of await consumer.poll()) {
          got.push(...b.records);
          next.set(`${b.topic}/${b.partition}`, b.nextOffset);
        }
        return got.length >= 30;
      },
      { timeoutMs: 30_000, what: '30 records' },
    );
    const offsets = [...next].map(([k, offset]) => ({
      topic,
      partition: Number(k.split('/').pop()),
      offset,
    }));
    await consumer.commit(offsets);
    const committed = await consumer.committed(consumer.assignment());
    expect(committed.reduce((s, c) => s + Number(c.offset), 0)).toBe(30);
    expect(consumer.health()).toMatchObject({ state: 'stable', degraded: undefined });
    await consumer.close();
    expect(events).toEqual(['assigned 3', 'revoked 3']);
    const fromAdmin = await admin.committedOffsets(groupId, [topic]);
    expect(fromAdmin.reduce((s, c) => s + Number(c.offset), 0)).toBe(30);
    const [group] = await admin.describeGroups([groupId]);
    expect(group?.members ?? []).toEqual([]);
    await admin.deleteGroups([groupId]);
  });

  it('a second member gets partitions only after the first finished revoking them', async () => {
    const topic = await newTopic(4);
    const groupId = `test-port-${randomUUID().slice(0, 8)}`;
    const log: string[] = [];
    const member = (name: string, revokeDelayMs: number) => {
      const owned = new Set<string>();
      const c = kafka.groupConsumer({
        groupId,
        topics: [topic],
        protocol: 'classic',
        heartbeatIntervalMs: 200,
        listener: {
          async assigned(ps: readonly TopicPartition[]) {
            for (const p of ps) {
              owned.add(`${p.partition}`);
              c.seek({ ...p, offset: 0n });
            }
            log.push(`${name} assigned ${[...ps].map((p) => p.partition).join(',')}`);
          },
          async revoked(ps: readonly TopicPartition[]) {
            log.push(`${name} revoking`);
            await new Promise((r) => setTimeout(r, revokeDelayMs));
            for (const p of ps) owned.delete(`${p.partition}`);
            log.push(`${name} revoked`);
          },
          lost() {},
        },
      });
      return { c, owned };
    };
    const a = member('a', 1_500);
    await a.c.start();
    const polling = (async () => {
      while (a.c.health().state !== 'closed') await a.c.poll();
    })();
    const b = member('b', 0);
    await b.c.start();
    expect(log.indexOf('a revoked')).toBeGreaterThan(-1);
    expect(log.indexOf('a revoked')).toBeLessThan(log.findIndex((l) => l.startsWith('b assigned')));
    await waitFor(() => a.owned.size + b.owned.size === 4, { timeoutMs: 20_000, what: 'a to rejoin' });
    expect([...a.owned].some((p) => b.owned.has(p))).toBe(false);
    await b.c.close();
    await a.c.close();
    await polling;
  });
});
