import { Consumer } from '@platformatic/kafka';
import { KafkaError } from '../../errors.ts';
import type { RangeReader, ReadOptions, ReadRange } from '../port.ts';
import type { RecordBatch } from '../types.ts';
import { defaultFetchBytes, PartitionFetcher } from './fetcher.ts';
import { baseOptions, type ConnectionOptions } from './options.ts';

const key = (r: { topic: string; partition: number }) => `${r.topic}/${r.partition}`;

/**
 * Group-less reads: each read gets a client of its own (fetch sessions are per client and
 * broker), fetches its ranges and closes it when the iteration ends.
 */
export function createReader(connection: ConnectionOptions): RangeReader {
  const open = new Set<Consumer>();
  return {
    read(options: ReadOptions): AsyncIterable<RecordBatch> {
      return {
        [Symbol.asyncIterator]: () => readRanges(connection, options, open)[Symbol.asyncIterator](),
      };
    },
    async close() {
      await Promise.allSettled([...open].map((c) => c.close(true)));
      open.clear();
    },
  };
}

async function* readRanges(
  connection: ConnectionOptions,
  { ranges, signal, timeoutMs = 60_000, maxWaitMs = 100, onDegraded }: ReadOptions,
  open: Set<Consumer>,
): AsyncGenerator<RecordBatch> {
  const wanted = new Map<string, ReadRange>();
  for (const r of ranges) if (r.to === undefined || r.to > r.from) wanted.set(key(r), r);
  if (wanted.size === 0) return;
  // Never joined: the group id only satisfies the client's constructor.
  const client = new Consumer({
    ...baseOptions(connection, 'reader'),
    groupId: 'outstream-reader',
    maxWaitTime: maxWaitMs,
  });
  open.add(client);
  const fetcher = new PartitionFetcher(client, { maxWaitMs, ...defaultFetchBytes });
  const bounded = [...wanted.values()].every((r) => r.to !== undefined);
  const deadline = Date.now() + timeoutMs;
  let degraded: string | undefined;
  try {
    for (const r of wanted.values()) fetcher.seek(r, r.from);
    while (wanted.size > 0 && !signal?.aborted) {
      if (bounded && Date.now() > deadline) {
        const left = [...wanted.values()].map((r) => `${key(r)} at ${fetcher.position(r)} of ${r.to}`);
        throw new KafkaError(`read did not reach the end of ${left.join(', ')} within ${timeoutMs} ms`, {
          retriable: true,
        });
      }
      const batches = await fetcher.poll(signal);
      if (fetcher.degraded !== degraded) {
        degraded = fetcher.degraded;
        onDegraded?.(degraded);
      }
      for (const b of batches) {
        const r = wanted.get(key(b));
        if (!r) continue;
        if (r.to === undefined) {
          if (b.records.length > 0) yield b;
          continue;
        }
        const to = r.to;
        const records = b.records.filter((x) => x.offset < to);
        // What is past the end was not handed out: a caller resuming at nextOffset must read it.
        if (records.length > 0) yield { ...b, records, nextOffset: b.nextOffset > to ? to : b.nextOffset };
      }
      // Done when the position passed the end: by records, or by a reset past a gap.
      for (const r of [...wanted.values()]) {
        const at = fetcher.position(r);
        if (r.to !== undefined && at !== undefined && at >= r.to) {
          wanted.delete(key(r));
          fetcher.remove(r);
        }
      }
    }
  } finally {
    open.delete(client);
    await fetcher.settle();
    await client.close(true).catch(() => {});
  }
}
