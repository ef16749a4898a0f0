import type { Logger } from 'pino';
import {
  type KafkaAdmin,
  type KafkaRecord,
  partitionKey,
  type RangeReader,
  type ReadRange,
} from '../../core/kafka/index.ts';
import type { Range } from './recent-buffer.ts';

/** Options of {@link createGapReader}. */
export interface GapReaderOptions {
  reader: RangeReader;
  admin: Pick<KafkaAdmin, 'partitionBounds'>;
  /** A read that has not finished by then fails (its clients get a `reset`). Default 30 s. */
  timeoutMs?: number;
  logger: Logger;
}

interface Request {
  ranges: readonly Range[];
  resolve: (records: KafkaRecord[]) => void;
  reject: (e: unknown) => void;
}

/**
 * Reads resume gaps from Kafka: offsets `[from, to)` of given partitions, as bounded reads of
 * the port's range reader (group-less: nothing joined, nothing committed). Reads that arrive
 * while one runs are coalesced into the next, one range per partition spanning them all, so a
 * reconnect storm of clients with nearby tokens costs one pass over the log.
 */
export function createGapReader(options: GapReaderOptions) {
  const { reader, admin, logger } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stopping = new AbortController();
  let queue: Request[] = [];
  let running: Promise<void> | undefined;

  async function execute(requests: readonly Request[]): Promise<void> {
    const targets = new Map<string, ReadRange>();
    for (const { ranges } of requests) {
      for (const r of ranges) {
        if (r.from >= r.to) continue;
        const k = partitionKey(r);
        const t = targets.get(k);
        if (!t) targets.set(k, { ...r });
        else {
          if (r.from < t.from) t.from = r.from;
          if (r.to > t.to!) t.to = r.to;
        }
      }
    }
    const read = new Map<string, KafkaRecord[]>();
    if (targets.size > 0) {
      const ranges = [...targets.values()];
      for await (const batch of reader.read({ ranges, timeoutMs, signal: stopping.signal })) {
        const k = partitionKey(batch);
        const list = read.get(k) ?? [];
        for (const record of batch.records) list.push(record);
        read.set(k, list);
      }
      // An aborted read ends without reaching its ends: what it holds is not the whole gap.
      if (stopping.signal.aborted) throw new Error('the gateway is stopping');
    }
    for (const req of requests) {
      const out: KafkaRecord[] = [];
      for (const r of req.ranges) {
        const list = read.get(partitionKey(r)) ?? [];
        for (let i = firstAtOrAfter(list, r.from); i < list.length && list[i]!.offset < r.to; i++) {
          out.push(list[i]!);
        }
      }
      req.resolve(out);
    }
  }

  function kick(): void {
    if (running || queue.length === 0) return;
    const batch = queue;
    queue = [];
    running = execute(batch)
      .catch((e: unknown) => {
        logger.warn({ err: e }, 'gap read failed');
        for (const r of batch) r.reject(e);
      })
      .finally(() => {
        running = undefined;
        kick();
      });
  }

  return {
    /**
     * The records in `ranges`, per partition in offset order (partitions one after another).
     *
     * @throws KafkaError when the read does not reach every range's end in time; Error when
     *   the gateway is stopping.
     */
    read(ranges: readonly Range[]): Promise<KafkaRecord[]> {
      if (stopping.signal.aborted) return Promise.reject(new Error('the gateway is stopping'));
      return new Promise((resolve, reject) => {
        queue.push({ ranges, resolve, reject });
        kick();
      });
    },

    /** Lowest offset still in the log, per partition (records below it were deleted). */
    async logStart(topic: string): Promise<bigint[]> {
      const out: bigint[] = [];
      for (const { partition, low } of await admin.partitionBounds(topic)) out[partition] = low;
      return out;
    },

    /** Ends the read under way (its clients get a `reset`) and refuses new ones. */
    async stop(): Promise<void> {
      stopping.abort();
      for (const r of queue) r.reject(new Error('the gateway is stopping'));
      queue = [];
      await running;
    },
  };
}

/** The reader {@link createGapReader} returns. */
export type GapReader = ReturnType<typeof createGapReader>;

/** Index of the first record at or after `offset` in a list in offset order. */
function firstAtOrAfter(list: readonly KafkaRecord[], offset: bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
