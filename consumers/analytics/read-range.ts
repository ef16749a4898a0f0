import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { isOutstreamError } from '../../core/errors.ts';
import type { AnyEvent } from '../../schemas/index.ts';
import type { EventDecoder } from '../decoder.ts';

/** Offsets [from, to) of one partition. */
export interface PartitionRange {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/** The [low, high) offsets of every partition of `topics` right now. */
export async function topicRanges(kafka: Kafka, topics: readonly string[]): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const out: PartitionRange[] = [];
    for (const topic of topics.filter((t) => existing.has(t))) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        out.push({ topic, partition: p.partition, from: BigInt(p.low), to: BigInt(p.high) });
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** What {@link readRanges} read. */
export interface ReadStats {
  events: number;
  /** Records that could not be decoded (the live group dead-letters them): not counted. */
  undecodable: number;
}

/**
 * Reads exactly the given offset ranges with a throwaway consumer group, decoding each
 * record, and hands every fetched batch (one partition's slice) to `onBatch` before reading
 * on. Resolves once every range is read; the throwaway group is deleted afterwards.
 */
export async function readRanges(
  kafka: Kafka,
  decoder: EventDecoder,
  ranges: readonly PartitionRange[],
  onBatch: (events: AnyEvent[]) => Promise<void>,
): Promise<ReadStats> {
  const todo = ranges.filter((r) => r.to > r.from);
  const stats: ReadStats = { events: 0, undecodable: 0 };
  if (todo.length === 0) return stats;
  const key = (topic: string, partition: number) => `${topic}/${partition}`;
  const remaining = new Map(todo.map((r) => [key(r.topic, r.partition), r]));
  const groupId = `outstream-analytics-read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(todo.map((r) => r.topic))], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const range = remaining.get(key(batch.topic, batch.partition));
        if (!range) return;
        const events: AnyEvent[] = [];
        let last = -1n;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.from) continue;
          if (offset >= range.to) break;
          last = offset;
          try {
            events.push(await decoder.decode({ topic: batch.topic, partition: batch.partition, message }));
          } catch (e) {
            if (!isOutstreamError(e)) throw e;
            stats.undecodable++;
          }
        }
        try {
          if (events.length > 0) await onBatch(events);
        } catch (e) {
          fail(e);
          throw e;
        }
        stats.events += events.length;
        if (last >= 0n) resolveOffset(String(last));
        await heartbeat();
        if (last + 1n >= range.to || BigInt(batch.highWatermark) <= range.from) {
          remaining.delete(key(batch.topic, batch.partition));
          if (remaining.size === 0) finish();
        }
      },
    });
    for (const r of todo) consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
    await finished;
    return stats;
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
