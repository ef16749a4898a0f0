import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders, Kafka } from 'kafkajs';
import { waitFor } from '../core/wait.ts';

/** A consumed record, headers decoded to strings. */
export interface CapturedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: number;
}

/** What {@link captureTopics} returns. */
export interface Capture {
  messages: CapturedMessage[];
  /** Waits until `predicate` holds over the captured messages. */
  until(
    predicate: (messages: CapturedMessage[]) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<void>;
  stop(): Promise<void>;
}

/** Headers as strings (kafkajs gives Buffers, or arrays of them for repeated keys). */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    // Debezium places a NULL column as a header with a null value: leave it out.
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined && last !== null) out[k] = last.toString();
  }
  return out;
}

/**
 * Reads `topics` from their current end onwards into memory: the high watermarks are taken
 * before the consumer joins, so nothing written after this call resolves can be missed.
 * Each capture uses its own throwaway consumer group.
 */
export async function captureTopics(kafka: Kafka, topics: readonly string[]): Promise<Capture> {
  const admin = kafka.admin();
  await admin.connect();
  const starts = await Promise.all(
    topics.map(async (t) => ({ topic: t, offsets: await admin.fetchTopicOffsets(t) })),
  );
  await admin.disconnect();

  const messages: CapturedMessage[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `test-capture-${randomUUID()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      messages.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: headersToStrings(message.headers),
        timestamp: Number(message.timestamp),
      });
    },
  });
  for (const { topic, offsets } of starts) {
    for (const p of offsets) consumer.seek({ topic, partition: p.partition, offset: p.high });
  }
  await joined;
  return {
    messages,
    until: (predicate, timeoutMs = 60_000, what = 'the expected messages') =>
      waitFor(() => predicate(messages), { timeoutMs, intervalMs: 25, what }).then(() => undefined),
    stop: () => consumer.disconnect(),
  };
}
