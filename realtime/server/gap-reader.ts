import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { waitFor } from '../../core/wait.ts';
import type { Range } from './recent-buffer.ts';

/** Options of {@link createGapReader}. */
export interface GapReaderOptions {
  kafka: Kafka;
  /** A group id of this node alone (the reader is its only member and gets every partition). */
  groupId: string;
  topics: readonly string[];
  /** A read that has not finished by then fails (its clients get a `reset`). */
  timeoutMs?: number;
  logger: Logger;
}

/** A raw record read for a gap. */
export interface GapRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

interface Request {
  ranges: readonly Range[];
  resolve: (records: GapRecord[]) => void;
  reject: (e: unknown) => void;
}

interface Target {
  topic: string;
  partition: number;
  start: number;
  end: number;
  records: KafkaMessage[];
  done: boolean;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Reads resume gaps from Kafka: offsets `[from, to)` of given partitions. kafkajs has no
 * group-less fetch, so the reader is one long-lived consumer of a group of its own, joined at
 * start with every partition paused; a read seeks the partitions it needs, resumes them and
 * pauses each again once its end is reached. Reads that arrive while one runs are coalesced
 * into the next (a reconnect storm of clients with nearby tokens costs one pass over the log).
 */
export function createGapReader(options: GapReaderOptions) {
  const { kafka, groupId, topics, logger } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20, sessionTimeout: 30_000 });
  const admin = kafka.admin();
  const targets = new Map<string, Target>();
  let queue: Request[] = [];
  let running = false;
  let joined = false;
  let generation = 0;
  let wake: (() => void) | undefined;

  const pauseAll = (assignment: Record<string, number[]>) => {
    consumer.pause(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    pauseAll(payload.memberAssignment);
    generation++;
    joined = true;
    wake?.();
  });
  const progress = (topic: string, partition: number, lastOffset: number) => {
    const t = targets.get(key(topic, partition));
    if (!t || t.done || lastOffset + 1 < t.end) return;
    t.done = true;
    consumer.pause([{ topic, partitions: [partition] }]);
    if ([...targets.values()].every((x) => x.done)) wake?.();
  };
  // Also fires for batches holding only control records, which never reach eachBatch.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    progress(payload.topic, payload.partition, Number(payload.lastOffset));
  });

  async function execute(requests: Request[]): Promise<void> {
    targets.clear();
    for (const { ranges } of requests) {
      for (const r of ranges) {
        if (r.from >= r.to) continue;
        const k = key(r.topic, r.partition);
        const t = targets.get(k);
        if (t) {
          t.start = Math.min(t.start, r.from);
          t.end = Math.max(t.end, r.to);
        } else {
          targets.set(k, {
            topic: r.topic,
            partition: r.partition,
            start: r.from,
            end: r.to,
            records: [],
            done: false,
          });
        }
      }
    }
    if (targets.size > 0) {
      const startGeneration = generation;
      const finished = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`gap read timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
        wake = () => {
          if (generation !== startGeneration) {
            clearTimeout(timer);
            reject(new Error('gap reader rejoined its group during a read'));
          } else if ([...targets.values()].every((x) => x.done)) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      for (const t of targets.values()) {
        consumer.seek({ topic: t.topic, partition: t.partition, offset: String(t.start) });
        consumer.resume([{ topic: t.topic, partitions: [t.partition] }]);
      }
      try {
        await finished;
      } finally {
        wake = undefined;
        for (const t of targets.values()) consumer.pause([{ topic: t.topic, partitions: [t.partition] }]);
      }
    }
    for (const req of requests) {
      const out: GapRecord[] = [];
      for (const r of req.ranges) {
        const t = targets.get(key(r.topic, r.partition));
        if (!t) continue;
        for (const message of t.records) {
          const o = Number(message.offset);
          if (o >= r.from && o < r.to) out.push({ topic: r.topic, partition: r.partition, message });
        }
      }
      req.resolve(out);
    }
    targets.clear();
  }

  function kick(): void {
    if (running || queue.length === 0) return;
    running = true;
    const batch = queue;
    queue = [];
    execute(batch)
      .catch((e: unknown) => {
        logger.warn({ err: e }, 'gap read failed');
        for (const r of batch) r.reject(e);
      })
      .finally(() => {
        running = false;
        kick();
      });
  }

  return {
    /** Joins the reader's group (all partitions paused). */
    async start(): Promise<void> {
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics] });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const t = targets.get(key(batch.topic, batch.partition));
          if (!t || t.done) return;
          for (const m of batch.messages) {
            const o = Number(m.offset);
            if (
              o >= t.start &&
              o < t.end &&
              (t.records.length === 0 || o > Number(t.records.at(-1)!.offset))
            ) {
              t.records.push(m);
            }
          }
        },
      });
      await waitFor(() => joined, { timeoutMs: 60_000, what: `gap reader ${groupId} to join` });
    },

    /**
     * The records in `ranges`, per partition in offset order (partitions one after another).
     *
     * @throws when the read times out or the reader lost its group meanwhile.
     */
    read(ranges: readonly Range[]): Promise<GapRecord[]> {
      return new Promise((resolve, reject) => {
        queue.push({ ranges, resolve, reject });
        kick();
      });
    },

    /** Lowest offset still in the log, per partition (records below it were deleted). */
    async logStart(topic: string): Promise<number[]> {
      const out: number[] = [];
      for (const { partition, low } of await admin.fetchTopicOffsets(topic)) out[partition] = Number(low);
      return out;
    },

    async stop(): Promise<void> {
      await consumer.disconnect().catch(() => {});
      try {
        await admin.deleteGroups([groupId]);
      } catch (e) {
        logger.debug({ err: e, groupId }, 'could not delete the gap reader group (it expires on its own)');
      }
      await admin.disconnect().catch(() => {});
    },
  };
}

/** The reader {@link createGapReader} returns. */
export type GapReader = ReturnType<typeof createGapReader>;
