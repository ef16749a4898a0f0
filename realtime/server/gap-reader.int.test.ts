import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka, type KafkaRecord, type RangeReader, type ReadOptions } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { createGapReader, type GapRead } from './gap-reader.ts';
import { createLogBounds } from './log-bounds.ts';

// The gap reader against the stack's broker, on a topic of its own: exact ranges, coalesced
// passes, a read that cannot finish failing for every client that shares it, and the bounds:
// bytes per pass, records held, and reading that stops once its clients left.

const config = loadConfig(process.env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-gap-reader' });
const admin = kafka.admin();
const real = kafka.reader();
const topic = `test.realtime.${randomUUID()}`;
const passes: ReadOptions[] = [];
/** Batches handed on per pass, whether it ended, and a delay before each (to catch a pass mid-way). */
const delivered: number[] = [];
const ended: boolean[] = [];
let batchDelayMs = 0;
const reader: RangeReader = {
  read: (options) => {
    passes.push(options);
    const pass = delivered.push(0) - 1;
    return (async function* () {
      try {
        for await (const batch of real.read(options)) {
          if (batchDelayMs > 0) await sleep(batchDelayMs);
          delivered[pass]!++;
          yield batch;
        }
      } finally {
        ended[pass] = true;
      }
    })();
  },
  close: () => real.close(),
};
const logger = pino({ level: 'silent' });
const gapReader = (o: { maxRecords?: number; maxBytes?: number } = {}) =>
  createGapReader<KafkaRecord>({
    reader,
    route: (r) => r,
    maxRecords: o.maxRecords ?? 1_000,
    maxBytes: o.maxBytes ?? 1 << 20,
    timeoutMs: 2_000,
    logger,
  });
const gaps = gapReader();
const records = (read: GapRead<KafkaRecord>) => {
  if (read.kind !== 'records') throw new Error(`expected records, got ${read.kind}`);
  read.release();
  return read.records;
};
const offsets = (read: GapRead<KafkaRecord>) => records(read).map((r) => `${r.partition}@${r.offset}`);
const span = (partition: number, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${partition}@${from + i}`);
const r = (partition: number, from: bigint, to: bigint) => ({ topic, partition, from, to });

beforeAll(async () => {
  await admin.createTopics([{ topic, partitions: 3, replicationFactor: 1 }]);
  const producer = kafka.producer();
  for (const partition of [0, 1]) {
    await producer.send(
      Array.from({ length: 10 }, (_, i) => ({ topic, partition, key: null, value: `${partition}-${i}` })),
    );
  }
  // Partition 2: many batches (one send each), for a pass that can be caught mid-way.
  for (let i = 0; i < 40; i++) {
    await producer.send([{ topic, partition: 2, key: null, value: Buffer.alloc(600_000, i) }]);
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
    const [first, second, third] = await Promise.all([
      gaps.read([r(0, 2n, 5n)]),
      gaps.read([r(0, 4n, 8n), r(1, 0n, 3n)]),
      gaps.read([r(1, 5n, 10n)]),
    ]);
    expect(offsets(first)).toEqual(span(0, 2, 5));
    const secondRecords = records(second);
    expect(secondRecords.map((x) => `${x.partition}@${x.offset}`)).toEqual([
      ...span(0, 4, 8),
      ...span(1, 0, 3),
    ]);
    expect(offsets(third)).toEqual(span(1, 5, 10));
    expect(secondRecords.map((x) => x.value?.toString()).slice(0, 2)).toEqual(['0-4', '0-5']);
    // The first read started alone; the two that came while it ran were read together.
    expect(passes.map((p) => p.ranges.map((x) => `${x.partition}:${x.from}-${x.to}`))).toEqual([
      ['0:2-5'],
      ['0:4-8', '1:0-10'],
    ]);
    expect(await createLogBounds(admin).bounds(topic)).toEqual({ low: [0n, 0n, 0n], high: [10n, 10n, 40n] });
  });

  it('fails every read of a pass that cannot reach its end in time (their clients get a reset)', async () => {
    // Both queue behind a first read, so they share the next pass.
    const ahead = gaps.read([r(0, 0n, 1n)]);
    const beyond = gaps.read([r(0, 8n, 20n)]);
    const sharing = gaps.read([r(1, 0n, 2n)]);
    expect(offsets(await ahead)).toEqual(span(0, 0, 1));
    await expect(beyond).rejects.toThrow(/did not reach the end/);
    await expect(sharing).rejects.toThrow(/did not reach the end/);
    // The reader carries on with the next read.
    expect(offsets(await gaps.read([r(1, 0n, 2n)]))).toEqual(span(1, 0, 2));
  });

  it('answers too-large when a pass reads more bytes than allowed', async () => {
    const small = gapReader({ maxBytes: 2_000_000 });
    try {
      const read = await small.read([r(2, 0n, 40n)]);
      expect(read).toMatchObject({ kind: 'too-large' });
      expect((read as { bytes: number }).bytes).toBeLessThan(2_000_000 + 700_000);
    } finally {
      await small.stop();
    }
  });

  it('keeps passes within the records they may span and hold until released', async () => {
    const tight = gapReader({ maxRecords: 5 });
    passes.length = 0;
    try {
      // Each read alone fills a pass: three passes, not one.
      const [a, b] = await Promise.all([tight.read([r(0, 0n, 5n)]), tight.read([r(1, 0n, 5n)])]);
      expect(passes).toHaveLength(2);
      // Ten records held (twice the pass size): the next pass waits for a release.
      let third: GapRead<KafkaRecord> | undefined;
      const pending = tight.read([r(0, 5n, 10n)]).then((x) => {
        third = x;
      });
      await sleep(300);
      expect(third).toBeUndefined();
      (a as { release: () => void }).release();
      await pending;
      expect(offsets(third!)).toEqual(span(0, 5, 10));
      records(b);
    } finally {
      await tight.stop();
    }
  });

  it('stops reading once every client of a pass has left', async () => {
    batchDelayMs = 150;
    try {
      const leaving = [new AbortController(), new AbortController()];
      const reads = leaving.map((c) => gaps.read([r(2, 0n, 40n)], c.signal));
      await waitFor(() => delivered.at(-1)! >= 1, { timeoutMs: 10_000, what: 'the pass to start' });
      for (const c of leaving) c.abort(new Error('client left'));
      for (const read of reads) await expect(read).rejects.toThrow('client left');
      const pass = passes.length - 1;
      await waitFor(() => passes[pass]!.signal?.aborted && ended[pass], {
        timeoutMs: 5_000,
        what: 'the pass read to be aborted and to end',
      });
      // The pass stopped well before partition 2's end (40 batches of 150 ms).
      expect(delivered[pass]).toBeLessThan(10);
    } finally {
      batchDelayMs = 0;
    }
  });
});
