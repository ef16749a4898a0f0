import type { Logger } from 'pino';
import { type KafkaRecord, partitionKey, type RangeReader, type ReadRange } from '../../core/kafka/index.ts';
import type { Range } from './recent-buffer.ts';

/** Options of {@link createGapReader}. */
export interface GapReaderOptions<T> {
  reader: RangeReader;
  /** Turns a record into what the clients get (decoded and routed): once per record per pass. */
  route: (record: KafkaRecord) => T | Promise<T>;
  /** Records one pass may span (counted by offsets): reads beyond it wait for the next pass. */
  maxRecords: number;
  /** Bytes (keys, values, headers) one pass may read; beyond them its reads get `too-large`. */
  maxBytes: number;
  /** A read that has not finished by then fails (its clients get a `reset`). Default 30 s. */
  timeoutMs?: number;
  logger: Logger;
  /** Told how many records each batch brought (the records-read metric). */
  onRecords?: (count: number) => void;
}

/** What a gap read gives: the records (hand them back with `release`) or too many bytes. */
export type GapRead<T> =
  | { kind: 'records'; records: T[]; release: () => void }
  | { kind: 'too-large'; bytes: number };

interface Request<T> {
  ranges: readonly Range[];
  signal: AbortSignal | undefined;
  resolve: (read: GapRead<T>) => void;
  reject: (e: unknown) => void;
}

type Located = { topic: string; partition: number; offset: bigint };

/**
 * Reads resume gaps from Kafka: offsets `[from, to)` of given partitions, as bounded reads of
 * the port's range reader (group-less: nothing joined, nothing committed). Reads that arrive
 * while one runs are coalesced into the next pass, one range per partition spanning them all,
 * so a reconnect storm of clients with nearby tokens costs one pass over the log.
 *
 * Memory is bounded three ways: a pass spans at most `maxRecords` offsets and reads at most
 * `maxBytes`; records are routed once per pass and shared by its reads; and a pass starts only
 * while the records still held by earlier reads (not yet `release`d) leave room within twice
 * `maxRecords`. A read whose signal aborts (its client left) is dropped at once, and a pass
 * whose reads all left stops reading.
 */
export function createGapReader<T extends Located>(options: GapReaderOptions<T>) {
  const { reader, logger } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const budget = 2 * options.maxRecords;
  const stopping = new AbortController();
  let queue: Request<T>[] = [];
  let running: Promise<void> | undefined;
  let held = 0;

  /**
   * Adds a read's ranges to a pass's union (one span per partition) if the union stays within
   * `limit` offsets; returns the new size, or undefined (and leaves `targets` alone).
   */
  function widen(targets: Map<string, ReadRange>, size: bigint, ranges: readonly Range[], limit: bigint) {
    const changed = new Map<string, ReadRange>();
    let next = size;
    for (const r of ranges) {
      if (r.from >= r.to) continue;
      const k = partitionKey(r);
      const t = changed.get(k) ?? targets.get(k);
      const wide = t ? { ...t, from: min(t.from, r.from), to: max(t.to!, r.to) } : { ...r };
      next += wide.to! - wide.from - (t ? t.to! - t.from : 0n);
      changed.set(k, wide);
    }
    if (next > limit && size > 0n) return undefined;
    for (const [k, t] of changed) targets.set(k, t);
    return next;
  }

  async function execute(requests: Request<T>[], targets: Map<string, ReadRange>): Promise<void> {
    const live = () => requests.filter((r) => !r.signal?.aborted);
    // Stops reading once every client of the pass has left.
    const abandoned = new AbortController();
    const onAbort = () => {
      if (live().length === 0) abandoned.abort();
    };
    for (const r of requests) r.signal?.addEventListener('abort', onAbort, { once: true });
    const read = new Map<string, T[]>();
    let bytes = 0;
    let count = 0;
    try {
      if (targets.size > 0) {
        const signal = AbortSignal.any([stopping.signal, abandoned.signal]);
        for await (const batch of reader.read({ ranges: [...targets.values()], timeoutMs, signal })) {
          const k = partitionKey(batch);
          const list = read.get(k) ?? [];
          read.set(k, list);
          for (const record of batch.records) {
            bytes += sizeOf(record);
            if (bytes > options.maxBytes) break;
            list.push(await options.route(record));
            count++;
          }
          options.onRecords?.(batch.records.length);
          if (bytes > options.maxBytes || abandoned.signal.aborted) break;
        }
        // An aborted read ends without reaching its ends: what it holds is not the whole gap.
        if (stopping.signal.aborted) throw new Error('the gateway is stopping');
      }
    } finally {
      for (const r of requests) r.signal?.removeEventListener('abort', onAbort);
    }
    if (abandoned.signal.aborted) {
      logger.info({ records: count }, 'gap read stopped: every client of the pass left');
      return;
    }
    if (bytes > options.maxBytes) {
      for (const req of requests) req.resolve({ kind: 'too-large', bytes });
      return;
    }
    // The pass's records stay held until every read given a share of them releases it.
    const readers = live();
    let shares = readers.length;
    if (shares > 0) held += count;
    for (const req of readers) {
      const out: T[] = [];
      for (const r of req.ranges) {
        const list = read.get(partitionKey(r)) ?? [];
        for (let i = firstAtOrAfter(list, r.from); i < list.length && list[i]!.offset < r.to; i++) {
          out.push(list[i]!);
        }
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (--shares === 0) {
          held -= count;
          kick();
        }
      };
      req.resolve({ kind: 'records', records: out, release });
    }
  }

  function kick(): void {
    queue = queue.filter((r) => !r.signal?.aborted);
    if (running || queue.length === 0) return;
    // Take reads in arrival order while their union stays within one pass.
    const targets = new Map<string, ReadRange>();
    let size = 0n;
    let take = 0;
    for (const r of queue) {
      const next = widen(targets, size, r.ranges, BigInt(options.maxRecords));
      if (next === undefined) break;
      size = next;
      take++;
    }
    if (held > 0 && BigInt(held) + size > BigInt(budget)) return; // a release kicks again
    const batch = queue.slice(0, take);
    queue = queue.slice(take);
    running = execute(batch, targets)
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
     * The records in `ranges` (routed), per partition in offset order (partitions one after
     * another), or `too-large` when the pass read more than `maxBytes`. Call `release` once
     * they are sent. A read whose `signal` aborts rejects at once with the signal's reason.
     *
     * @throws KafkaError when the read does not reach every range's end in time; Error when
     *   the gateway is stopping or the read waited too long for room.
     */
    read(ranges: readonly Range[], signal?: AbortSignal): Promise<GapRead<T>> {
      if (stopping.signal.aborted) return Promise.reject(new Error('the gateway is stopping'));
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          if (!queue.includes(request)) return;
          queue = queue.filter((r) => r !== request);
          request.reject(new Error(`no room to read the gap within ${timeoutMs} ms`));
        }, timeoutMs);
        const onAbort = () => request.reject(signal!.reason);
        let settled = false;
        const settle = () => {
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const request: Request<T> = {
          ranges,
          signal,
          resolve: (read) => {
            if (settled) return read.kind === 'records' ? read.release() : undefined;
            settle();
            resolve(read);
          },
          reject: (e) => {
            if (settled) return;
            settle();
            reject(e);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(request);
        kick();
      });
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
export type GapReader<T extends Located> = ReturnType<typeof createGapReader<T>>;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** Bytes a record occupies on the wire, roughly (what the byte bound counts). */
function sizeOf(record: KafkaRecord): number {
  let n = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, value] of record.headers) n += name.length + (value?.length ?? 0);
  return n;
}

/** Index of the first record at or after `offset` in a list in offset order. */
function firstAtOrAfter(list: readonly Located[], offset: bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
