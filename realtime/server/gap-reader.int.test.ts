import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka, type RangeReader, type ReadOptions } from '../../core/kafka/index.ts';
import { createGapReader } from './gap-reader.ts';

// The gap reader against the stack's broker, on a topic of its own: exact ranges, coalesced
// passes, and a read that cannot finish failing for every client that shares it.

const config = loadConfig(process.env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-gap-reader' });
const admin = kafka.admin();
const real = kafka.reader();
const topic = `test.realtime.${randomUUID()}`;
const passes: ReadOptions[] = [];
const reader: RangeReader = {
  read: (options) => {
    passes.push(options);
    return real.read(options);
  },
  close: () => real.close(),
};
const gaps = createGapReader({ reader, admin, timeoutMs: 2_000, logger: pino({ level: 'silent' }) });
const offsets = (records: readonly { partition: number; offset: bigint }[]) =>
  records.map((r) => `${r.partition}@${r.offset}`);
const span = (partition: number, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${partition}@${from + i}`);

beforeAll(async () => {
  await admin.createTopics([{ topic, partitions: 2, replicationFactor: 1 }]);
  const producer = kafka.producer();
  for (const partition of [0, 1]) {
    await producer.send(
      Array.from({ length: 10 }, (_, i) => ({ topic, partition, key: null, value: `${partition}-${i}` })),
    );
  }
  await producer.close();
});
afterAll(async () => {
  await gaps.stop();
  await admin.deleteTopics([topic]).catch(() => {});
  await Promise.allSettled([reader.close(), admin.close()]);
});

describe('gap reader', () => {
  it('gives each read exactly its ranges; reads arriving meanwhile share one pass', async () => {
    passes.length = 0;
    const r = (partition: number, from: bigint, to: bigint) => ({ topic, partition, from, to });
    const [first, second, third] = await Promise.all([
      gaps.read([r(0, 2n, 5n)]),
      gaps.read([r(0, 4n, 8n), r(1, 0n, 3n)]),
      gaps.read([r(1, 5n, 10n)]),
    ]);
    expect(offsets(first)).toEqual(span(0, 2, 5));
    expect(offsets(second)).toEqual([...span(0, 4, 8), ...span(1, 0, 3)]);
    expect(offsets(third)).toEqual(span(1, 5, 10));
    expect(second.map((x) => x.value?.toString()).slice(0, 2)).toEqual(['0-4', '0-5']);
    // The first read started alone; the two that came while it ran were read together.
    expect(passes.map((p) => p.ranges.map((x) => `${x.partition}:${x.from}-${x.to}`))).toEqual([
      ['0:2-5'],
      ['0:4-8', '1:0-10'],
    ]);
    expect(await gaps.logStart(topic)).toEqual([0n, 0n]);
  });

  it('fails every read of a pass that cannot reach its end in time (their clients get a reset)', async () => {
    // Both queue behind a first read, so they share the next pass.
    const ahead = gaps.read([{ topic, partition: 0, from: 0n, to: 1n }]);
    const beyond = gaps.read([{ topic, partition: 0, from: 8n, to: 20n }]);
    const sharing = gaps.read([{ topic, partition: 1, from: 0n, to: 2n }]);
    expect(offsets(await ahead)).toEqual(span(0, 0, 1));
    await expect(beyond).rejects.toThrow(/did not reach the end/);
    await expect(sharing).rejects.toThrow(/did not reach the end/);
    // The reader carries on with the next read.
    expect(offsets(await gaps.read([{ topic, partition: 1, from: 0n, to: 2n }]))).toEqual(span(1, 0, 2));
  });
});
