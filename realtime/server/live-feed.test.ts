import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KafkaRecord, RangeReader, ReadOptions, RecordBatch } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { createLiveFeed, type FeedPositions } from './live-feed.ts';
import type { RoutedRecord } from './router.ts';

const topic = 'events.test';
const record = (offset: bigint): KafkaRecord => ({
  topic,
  partition: 0,
  offset,
  key: null,
  value: null,
  headers: new Map(),
  timestamp: 0,
});
const batch = (...offsets: bigint[]): RecordBatch => ({
  topic,
  partition: 0,
  records: offsets.map(record),
  highWatermark: offsets.at(-1)! + 1n,
  nextOffset: offsets.at(-1)! + 1n,
});

/** One scripted read per call: its batches, then how it ends. */
type Script = { batches: RecordBatch[]; end: 'return' | 'throw' | 'follow' };

function fakeReader(scripts: Script[]) {
  const calls: ReadOptions[] = [];
  const reader: RangeReader = {
    read(options) {
      calls.push(options);
      const script = scripts.shift() ?? { batches: [], end: 'follow' };
      return (async function* () {
        for (const b of script.batches) yield b;
        if (script.end === 'throw') throw new Error('connection reset (simulated)');
        if (script.end === 'follow' && !options.signal?.aborted) {
          await new Promise((r) => options.signal?.addEventListener('abort', r, { once: true }));
        }
      })();
    },
    close: async () => {},
  };
  return { reader, calls };
}

function positions() {
  const at: bigint[] = [];
  const dispatched: bigint[] = [];
  const p: FeedPositions = {
    startAt: (_t, partition, offset) => {
      at[partition] = offset;
    },
    positionAt: (_t, partition) => at[partition],
    partitionCount: () => at.length,
    dispatch: (r: RoutedRecord) => {
      dispatched.push(r.offset);
      at[r.partition] = r.offset + 1n;
    },
  };
  return { p, dispatched };
}

describe('live feed restarts', () => {
  it('starts a read that ended or failed again from the node position, with backoff, and logs it', async () => {
    const { reader, calls } = fakeReader([
      { batches: [batch(5n, 6n)], end: 'return' },
      { batches: [], end: 'throw' },
      { batches: [batch(7n)], end: 'follow' },
    ]);
    const logs: { msg: string; restartInMs?: number }[] = [];
    const { p, dispatched } = positions();
    const feed = createLiveFeed({
      reader,
      admin: {
        partitionBounds: async () => [{ partition: 0, low: 0n, high: 5n }],
        describeTopics: async () => [{ topic, partitions: 1, replicationFactor: 1 }],
      },
      topics: [topic],
      routeRecord: async ({ partition, offset }) => ({
        topic,
        partition,
        offset,
        timestamp: 0,
        type: '',
        deliveries: [],
      }),
      positions: p,
      logger: pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
      retry: { initialMs: 10, maxMs: 15 },
    });
    await feed.start();
    await waitFor(() => dispatched.length === 3, { timeoutMs: 5_000, intervalMs: 5, what: 'three records' });
    await feed.stop();
    expect(dispatched).toEqual([5n, 6n, 7n]);
    expect(calls.map((c) => c.ranges.map((r) => [r.partition, r.from, r.to]))).toEqual([
      [[0, 5n, undefined]],
      [[0, 7n, undefined]],
      [[0, 7n, undefined]],
    ]);
    expect(calls.every((c) => (c.maxWaitMs ?? 100) <= 100)).toBe(true);
    expect(logs.map((l) => [l.msg, l.restartInMs])).toEqual([
      ['live read ended: restarting it from the node positions', 10],
      ['live read failed: restarting it from the node positions', 15],
    ]);
  });
});
