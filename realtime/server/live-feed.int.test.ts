import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import type { RecordRouter } from './decode-record.ts';
import { createHub } from './hub.ts';
import { createLiveFeed } from './live-feed.ts';
import { createMetrics } from './metrics.ts';
import { RecentBuffer } from './recent-buffer.ts';
import type { RoutedRecord } from './router.ts';

// The live feed against the stack's broker, on a topic of its own (the gateway's own topics
// are shared with every other test): where it starts, added partitions, failed reads.

const config = loadConfig(process.env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-live-feed' });
const admin = kafka.admin();
const reader = kafka.reader();
const producer = kafka.producer();
const topics: string[] = [];

afterAll(async () => {
  await admin.deleteTopics(topics).catch(() => {});
  await Promise.allSettled([producer.close(), reader.close(), admin.close()]);
});

describe('live feed', () => {
  it('follows every partition from the end at start, partitions added later from their start, and restarts a failed read where the node is', async () => {
    const topic = `test.realtime.${randomUUID()}`;
    await admin.createTopics([{ topic, partitions: 2, replicationFactor: 1 }]);
    topics.push(topic);
    const send = (partition: number, n: number, tag: string) =>
      producer.send(
        Array.from({ length: n }, (_, i) => ({ topic, partition, key: null, value: `${tag}-${i}` })),
      );
    await send(0, 3, 'before');
    await send(1, 2, 'before');

    const logs: { msg: string; level: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    const hub = createHub({
      recent: new RecentBuffer(100),
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      heartbeatMs: 1_000,
      resumeWindowMs: 60_000,
      maxPendingEvents: 100,
      dedupeAggregates: 1_000,
    });
    const dispatched: RoutedRecord[] = [];
    let failNext = false;
    const routeRecord: RecordRouter = async (r) => {
      if (failNext && r.partition === 0) {
        failNext = false;
        throw new Error('registry unreachable (simulated)');
      }
      const { topic: t, partition, offset, timestamp } = r;
      return { topic: t, partition, offset, timestamp, type: r.value?.toString() ?? '', deliveries: [] };
    };
    const feed = createLiveFeed({
      reader,
      admin,
      topics: [topic],
      routeRecord,
      positions: {
        ...hub,
        dispatch: (r) => {
          dispatched.push(r);
          hub.dispatch(r);
        },
      },
      logger,
      partitionCheckMs: 200,
      retry: { initialMs: 50, maxMs: 200 },
    });
    await feed.start();
    try {
      expect(hub.snapshot([topic]).get(topic)).toEqual([3n, 2n]);
      await send(0, 2, 'live');
      await send(1, 2, 'live');
      await waitFor(() => dispatched.length === 4, { timeoutMs: 20_000, what: 'the live records' });

      // A transient failure routing a record: the read starts again from that very record.
      failNext = true;
      await send(0, 3, 'retried');
      await waitFor(() => dispatched.length === 7, {
        timeoutMs: 20_000,
        what: 'the records after a failure',
      });
      expect(logs.some((l) => l.msg.startsWith('live read failed'))).toBe(true);

      await admin.createPartitions(topic, 3);
      await waitFor(() => hub.partitionCount(topic) === 3, {
        timeoutMs: 20_000,
        what: 'the added partition',
      });
      // A new producer: the first one's metadata still says two partitions, and the client
      // wraps an explicit partition it does not know (2 % 2 = 0).
      const later = kafka.producer();
      await later.send([0, 1].map((i) => ({ topic, partition: 2, key: null, value: `added-${i}` })));
      await later.send([{ topic, partition: 0, key: null, value: 'after-0' }]);
      await later.close();
      await waitFor(() => dispatched.length === 10, {
        timeoutMs: 20_000,
        what: 'records of the added partition',
      });

      const seen = (p: number) =>
        dispatched.filter((r) => r.partition === p).map((r) => `${r.offset}:${r.type}`);
      expect(seen(0)).toEqual([
        '3:live-0',
        '4:live-1',
        '5:retried-0',
        '6:retried-1',
        '7:retried-2',
        '8:after-0',
      ]);
      expect(seen(1)).toEqual(['2:live-0', '3:live-1']);
      expect(seen(2)).toEqual(['0:added-0', '1:added-1']);
      expect(hub.snapshot([topic]).get(topic)).toEqual([9n, 4n, 2n]);
    } finally {
      await feed.stop();
    }
  });

  it('waits out a partition it cannot fetch, says so, and reads on from where it was once it can', async () => {
    const topic = `test.realtime.${randomUUID()}`;
    await admin.createTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    topics.push(topic);
    const logs: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    const at: bigint[] = [];
    const dispatched: bigint[] = [];
    const feed = createLiveFeed({
      reader,
      admin,
      topics: [topic],
      routeRecord: async ({ topic: t, partition, offset, timestamp }) => ({
        topic: t,
        partition,
        offset,
        timestamp,
        type: '',
        deliveries: [],
      }),
      positions: {
        startAt: (_t, p, offset) => {
          at[p] = offset;
        },
        positionAt: (_t, p) => at[p],
        partitionCount: () => at.length,
        dispatch: (r) => {
          dispatched.push(r.offset);
          at[r.partition] = r.offset + 1n;
        },
      },
      logger,
    });
    await feed.start();
    try {
      // The topic vanishes under the read (as its leader would in an outage): the read stays.
      await admin.deleteTopics([topic]);
      await waitFor(() => feed.degraded(), { timeoutMs: 30_000, what: 'the feed to report the outage' });
      expect(logs.some((l) => l.msg === 'live read waiting for Kafka')).toBe(true);
      await waitFor(
        () =>
          admin.createTopics([{ topic, partitions: 1, replicationFactor: 1 }]).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 30_000, what: 'the topic to be created again' },
      );
      const producer = kafka.producer();
      await producer.send([0, 1].map((i) => ({ topic, partition: 0, key: null, value: `again-${i}` })));
      await producer.close();
      await waitFor(() => dispatched.length === 2, { timeoutMs: 30_000, what: 'the records after it' });
      expect(dispatched).toEqual([0n, 1n]);
      expect(feed.degraded()).toBeUndefined();
      expect(logs.some((l) => l.msg === 'live read fetching again')).toBe(true);
      expect(logs.some((l) => l.msg.includes('restarting'))).toBe(false);
    } finally {
      await feed.stop();
    }
  });
});
