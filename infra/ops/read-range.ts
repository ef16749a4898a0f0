import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { waitFor } from '../../core/wait.ts';
import { opsReaderPrefix } from './consumer-groups.ts';

/** Offsets `[from, to)` of one partition. */
export interface OffsetRange {
  partition: number;
  from: bigint;
  to: bigint;
}

/** A record read by {@link readRanges}. */
export interface ReadRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads the records of `ranges` from `topic` (for small ranges: dead letters, samples) with a
 * throwaway consumer group that commits nothing and is deleted afterwards. Offsets the topic no
 * longer holds are skipped. Records come back in partition, then offset order.
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: readonly OffsetRange[],
  { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const wanted = ranges.filter((r) => r.to > r.from);
  if (wanted.length === 0) return [];
  const groupId = `${opsReaderPrefix}${randomUUID()}`;
  const out: ReadRecord[] = [];
  const open = new Map(wanted.map((r) => [r.partition, r]));
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, pause, resolveOffset }) => {
        const range = open.get(batch.partition);
        if (!range) {
          pause();
          return;
        }
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          const key = `${batch.partition}/${offset}`;
          if (offset >= range.from && offset < range.to && !seen.has(key)) {
            seen.add(key);
            out.push({ topic, partition: batch.partition, message });
          }
        }
        // Nothing is committed; resolving only moves this reader's fetch position on.
        if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
        // Ranges end at most at the log end, so their last offset arrives (retention only
        // removes records from the front).
        if (BigInt(batch.lastOffset()) >= range.to - 1n) {
          open.delete(batch.partition);
          pause();
        }
      },
    });
    for (const r of wanted) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    await waitFor(() => open.size === 0, {
      timeoutMs,
      intervalMs: 20,
      what: `records of ${topic} (partitions ${[...open.keys()].join(', ')})`,
    });
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => {})
      .finally(() => admin.disconnect());
  }
  return out.sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
  );
}
