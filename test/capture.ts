import type { KafkaClient, RecordHeaders } from '../core/kafka/index.ts';
import { waitFor } from '../core/wait.ts';

/** A consumed record, headers decoded to strings. */
export interface CapturedMessage {
  topic: string;
  partition: number;
  offset: bigint;
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

/** Headers as strings; Debezium writes a NULL column as a null header, which is left out. */
export function headersToStrings(headers: RecordHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of headers) if (v !== null) out[k] = v.toString();
  return out;
}

/**
 * Reads `topics` from their current end onwards into memory: the ends are taken before this
 * call resolves, so nothing written after it can be missed. Group-less: a follow read of
 * every partition from its end, until `stop()`.
 */
export async function captureTopics(kafka: KafkaClient, topics: readonly string[]): Promise<Capture> {
  const ranges = await kafka.withAdmin(async (admin) =>
    (
      await Promise.all(topics.map(async (topic) => ({ topic, bounds: await admin.partitionBounds(topic) })))
    ).flatMap(({ topic, bounds }) => bounds.map((b) => ({ topic, partition: b.partition, from: b.high }))),
  );
  const messages: CapturedMessage[] = [];
  const stop = new AbortController();
  const reader = kafka.reader();
  const reading = (async () => {
    for await (const batch of reader.read({ ranges, signal: stop.signal })) {
      for (const r of batch.records) {
        messages.push({
          topic: r.topic,
          partition: r.partition,
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value,
          headers: headersToStrings(r.headers),
          timestamp: r.timestamp,
        });
      }
    }
  })();
  // A read that fails (the broker unreachable for longer than the client waits) fails the
  // next `until` instead of going unnoticed.
  let failure: unknown;
  reading.catch((e: unknown) => {
    failure = e;
  });
  return {
    messages,
    until: (predicate, timeoutMs = 60_000, what = 'the expected messages') =>
      waitFor(
        () => {
          if (failure !== undefined) throw failure;
          return predicate(messages);
        },
        { timeoutMs, intervalMs: 25, what },
      ).then(() => undefined),
    stop: async () => {
      stop.abort();
      await reading.catch(() => {});
      await reader.close();
    },
  };
}
