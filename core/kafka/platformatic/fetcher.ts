import type { ClusterMetadata, Consumer } from '@platformatic/kafka';
import { partitionKey } from '../partitions.ts';
import type { KafkaRecord, RecordBatch, TopicPartition } from '../types.ts';
import { kafkaCodeOf } from './options.ts';

/** Bytes one fetch asks for when its owner does not say: per response and per partition. */
export const defaultFetchBytes = { maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 1024 * 1024 } as const;

/** Tuning of a {@link PartitionFetcher}. */
export interface FetcherOptions {
  maxWaitMs: number;
  maxBytes: number;
  maxBytesPerPartition: number;
}

interface Position extends TopicPartition {
  offset: bigint;
  paused: boolean;
  /** Bumped by every seek: a fetch answered for an older generation is dropped. */
  generation: number;
}

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

interface Requested {
  generation: number;
  offset: bigint;
}

interface NodeResult {
  node: number;
  requested: Map<string, Requested>;
  topicNames: Map<string, string>;
  response?: FetchResponse;
  error?: unknown;
}

// Partition error codes that mean "ask the cluster again where this partition lives".
const staleMetadataCodes = new Set([3, 5, 6, 74, 100, 103]);
const offsetOutOfRange = 1;
const controlBatch = 0x20;

/**
 * Fetches records of a set of partitions from their leaders, from positions it is told
 * (`seek`) and then moves on by itself. One request at a time per broker (fetch sessions,
 * KIP-227, are per connection); a poll returns as soon as any broker answers. A broker that
 * cannot be reached is retried with capped backoff and reported in `degraded`, never thrown:
 * an outage is waited out. Used by the group consumer and the range reader alike.
 */
export class PartitionFetcher {
  #client: Consumer;
  #o: FetcherOptions;
  #positions = new Map<string, Position>();
  #pending = new Map<number, Promise<void>>();
  #ready: NodeResult[] = [];
  #metadata: ClusterMetadata | undefined;
  #metadataStale = true;
  #retryAt = 0;
  #failures = 0;
  #wake: (() => void) | undefined;
  /** The prefetch last started without being awaited. */
  #issuing: Promise<void> = Promise.resolve();
  /** What is being waited out (a broker down, metadata unavailable); undefined when healthy. */
  degraded: string | undefined;

  constructor(client: Consumer, options: FetcherOptions) {
    this.#client = client;
    this.#o = options;
  }

  /** Sets (or adds) a partition's next offset to fetch; a batch fetched from before is dropped. */
  seek(tp: TopicPartition, offset: bigint): void {
    const id = partitionKey(tp);
    const p = this.#positions.get(id);
    if (p) {
      p.offset = offset;
      p.generation++;
    } else {
      this.#positions.set(id, {
        topic: tp.topic,
        partition: tp.partition,
        offset,
        paused: false,
        generation: 0,
      });
      if (this.#client.topics.track(tp.topic)) this.#metadataStale = true;
    }
    this.#wake?.();
  }

  /** Stops fetching a partition and forgets its position. */
  remove(tp: TopicPartition): void {
    this.#positions.delete(partitionKey(tp));
  }

  has(tp: TopicPartition): boolean {
    return this.#positions.has(partitionKey(tp));
  }

  /** The next offset to fetch of a partition, if it is known. */
  position(tp: TopicPartition): bigint | undefined {
    return this.#positions.get(partitionKey(tp))?.offset;
  }

  partitions(): TopicPartition[] {
    return [...this.#positions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  setPaused(tps: readonly TopicPartition[], paused: boolean): void {
    for (const tp of tps) {
      const p = this.#positions.get(partitionKey(tp));
      if (p && p.paused !== paused) {
        p.paused = paused;
        // Whatever a pending fetch brings for it is dropped: it is fetched again on resume.
        p.generation++;
      }
    }
    if (!paused) return;
    this.#wake?.();
  }

  /**
   * The next batches, waiting up to `maxWaitMs` (plus a broker's answer time) for any.
   * `[]` when none came, the signal aborted or nothing is to be fetched.
   */
  async poll(signal?: AbortSignal): Promise<RecordBatch[]> {
    if (signal?.aborted) return [];
    const out = await this.#drain();
    if (out.length > 0) return this.#prefetched(out);
    await this.#issue();
    const woken = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    const waits: Promise<unknown>[] = [...this.#pending.values(), woken];
    let timer: NodeJS.Timeout | undefined;
    if (this.#pending.size === 0) {
      // Nothing in flight (no partitions, all paused, or backing off): wait a fetch's worth.
      const delay = Math.max(this.#o.maxWaitMs, this.#retryAt - Date.now());
      waits.push(new Promise((resolve) => (timer = setTimeout(resolve, Math.min(delay, 5_000)))));
    }
    let onAbort: (() => void) | undefined;
    if (signal) {
      waits.push(
        new Promise<void>((resolve) => {
          onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      );
    }
    await Promise.race(waits);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    this.#wake = undefined;
    return this.#prefetched(await this.#drain());
  }

  /**
   * Sends the next requests before handing `batches` out, so the answer travels while they
   * are handled: without it every batch costs its handling plus a round trip to the broker.
   * What comes back waits in `#ready` (at most one response per broker).
   */
  #prefetched(batches: RecordBatch[]): RecordBatch[] {
    if (batches.length > 0) {
      this.#issuing = this.#issue().catch((e: unknown) =>
        this.#failed(`cannot send a fetch: ${(e as Error).message}`),
      );
    }
    return batches;
  }

  /** Waits for requests in flight (before closing the client). */
  async settle(): Promise<void> {
    await this.#issuing;
    await Promise.allSettled([...this.#pending.values()]);
    this.#ready = [];
  }

  async #refreshMetadata(): Promise<ClusterMetadata | undefined> {
    if (this.#metadata && !this.#metadataStale) return this.#metadata;
    const topics = [...new Set([...this.#positions.values()].map((p) => p.topic))];
    if (topics.length === 0) return undefined;
    try {
      this.#metadata = await this.#client.metadata({ topics, forceUpdate: true });
      this.#metadataStale = false;
      return this.#metadata;
    } catch (e) {
      this.#failed(`cannot read the cluster's metadata: ${(e as Error).message}`);
      return undefined;
    }
  }

  async #issue(): Promise<void> {
    if (Date.now() < this.#retryAt) return;
    const active = [...this.#positions.values()].filter((p) => !p.paused);
    if (active.length === 0) return;
    const metadata = await this.#refreshMetadata();
    if (!metadata) return;
    const byNode = new Map<number, Position[]>();
    for (const p of active) {
      const leader = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader;
      if (leader === undefined || leader < 0) {
        this.#metadataStale = true;
        continue;
      }
      if (this.#pending.has(leader)) continue;
      const list = byNode.get(leader) ?? [];
      list.push(p);
      byNode.set(leader, list);
    }
    const topicNames = new Map([...metadata.topics].map(([name, t]) => [t.id, name]));
    for (const [node, positions] of byNode) {
      const requested = new Map<string, Requested>();
      const topics = new Map<
        string,
        { topicId: string; partitions: Parameters<Consumer['fetch']>[0]['topics'][number]['partitions'] }
      >();
      for (const p of positions) {
        const t = metadata.topics.get(p.topic);
        if (!t) continue;
        requested.set(partitionKey(p), { generation: p.generation, offset: p.offset });
        const entry = topics.get(p.topic) ?? { topicId: t.id, partitions: [] };
        entry.partitions.push({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.offset,
          lastFetchedEpoch: -1,
          partitionMaxBytes: this.#o.maxBytesPerPartition,
        });
        topics.set(p.topic, entry);
      }
      const result: NodeResult = { node, requested, topicNames };
      const request = this.#client
        .fetch({
          node,
          topics: [...topics.values()],
          maxWaitTime: this.#o.maxWaitMs,
          minBytes: 1,
          maxBytes: this.#o.maxBytes,
        })
        .then(
          (response) => {
            result.response = response;
          },
          (error: unknown) => {
            result.error = error;
          },
        )
        .finally(() => {
          this.#pending.delete(node);
          this.#ready.push(result);
        });
      this.#pending.set(node, request);
    }
  }

  #failed(reason: string): void {
    this.#failures++;
    this.degraded = reason;
    this.#metadataStale = true;
    this.#retryAt = Date.now() + Math.min(5_000, 100 * 2 ** Math.min(this.#failures, 6));
  }

  async #drain(): Promise<RecordBatch[]> {
    const results = this.#ready;
    this.#ready = [];
    const out: RecordBatch[] = [];
    for (const result of results) {
      const response = result.response ?? responseOf(result.error);
      if (result.error !== undefined && !response) {
        this.#failed(
          `fetch from broker ${result.node} failed: ${kafkaCodeOf(result.error) ?? (result.error as Error).message}`,
        );
        continue;
      }
      if (result.error === undefined) {
        this.#failures = 0;
        this.degraded = undefined;
      }
      for (const t of response?.responses ?? []) {
        const topic = result.topicNames.get(t.topicId) ?? t.topicId;
        for (const part of t.partitions) {
          const batch = await this.#batchOf(topic, part, result.requested);
          if (batch) out.push(batch);
        }
      }
    }
    return out;
  }

  async #batchOf(
    topic: string,
    part: FetchResponse['responses'][number]['partitions'][number],
    requested: Map<string, Requested>,
  ): Promise<RecordBatch | undefined> {
    const id = partitionKey({ topic, partition: part.partitionIndex });
    const asked = requested.get(id);
    const position = this.#positions.get(id);
    // Sought, paused or removed since the request left: its answer is out of date.
    if (!asked || !position || position.paused || position.generation !== asked.generation) return undefined;
    if (part.errorCode === offsetOutOfRange) {
      await this.#reset(position);
      return undefined;
    }
    if (part.errorCode !== 0) {
      if (staleMetadataCodes.has(part.errorCode)) this.#metadataStale = true;
      return undefined;
    }
    const records: KafkaRecord[] = [];
    let next = asked.offset;
    for (const b of part.records ?? []) {
      const end = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
      if (end > next) next = end;
      if ((b.attributes & controlBatch) !== 0) continue;
      for (const r of b.records) {
        const offset = b.firstOffset + BigInt(r.offsetDelta);
        // A batch may start before the offset asked for.
        if (offset < asked.offset) continue;
        const headers = new Map<string, Buffer | null>();
        for (const [k, v] of r.headers) if (k !== null) headers.set(k.toString('utf8'), v);
        records.push({
          topic,
          partition: part.partitionIndex,
          offset,
          key: r.key ?? null,
          value: r.value ?? null,
          headers,
          timestamp: Number(b.firstTimestamp + r.timestampDelta),
        });
      }
    }
    if (next === asked.offset) return undefined;
    position.offset = next;
    return {
      topic,
      partition: part.partitionIndex,
      records,
      highWatermark: part.highWatermark,
      nextOffset: next,
    };
  }

  /** An offset the log no longer (or does not yet) hold: the first one held, or the end. */
  async #reset(position: Position): Promise<void> {
    const { topic, partition } = position;
    try {
      const list = async (timestamp: bigint) =>
        (
          await this.#client.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp })
        ).get(topic)?.[partition];
      const [low, high] = [await list(-2n), await list(-1n)];
      if (low === undefined || high === undefined) return;
      position.offset = position.offset < low ? low : high;
      position.generation++;
    } catch (e) {
      this.#failed(`cannot list offsets of ${topic}/${partition}: ${(e as Error).message}`);
    }
  }
}

/** The response a partial failure still carries (some partitions failed, others answered). */
function responseOf(error: unknown, depth = 0): FetchResponse | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const r = (error as { response?: FetchResponse }).response;
  if (r && Array.isArray(r.responses)) return r;
  for (const inner of (error as { errors?: unknown[] }).errors ?? []) {
    const found = responseOf(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
