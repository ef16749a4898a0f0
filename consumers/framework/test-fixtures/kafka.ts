import { v7 as uuidv7 } from 'uuid';
import { envelopeHeaders } from '../../../connect/outbox-connector.ts';
import {
  type KafkaAdmin,
  type KafkaClient,
  type KafkaRecord,
  type ProducerRecord,
  readAll,
} from '../../../core/kafka/index.ts';
import { waitFor } from '../../../core/wait.ts';
import { catalogue, type Events, type EventType, encodePayload, frame } from '../../../schemas/index.ts';
import { resetGroupToEnd } from '../group-offsets.ts';

/** A record to produce to a topic the caller names. */
export type TestMessage = Omit<ProducerRecord, 'topic'>;

/** Runs `work` with an admin that is closed afterwards. */
export function withAdmin<T>(kafka: KafkaClient, work: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  return kafka.withAdmin(work);
}

/** Creates a topic (brokers do not auto-create) and waits for its leaders. */
export async function createTopic(kafka: KafkaClient, topic: string, partitions: number): Promise<void> {
  await kafka.withAdmin((admin) => admin.createTopics([{ topic, partitions, replicationFactor: 1 }]));
}

/** Deletes topics, ignoring the ones that do not exist. */
export async function deleteTopics(kafka: KafkaClient, topics: readonly string[]): Promise<void> {
  await kafka.withAdmin(async (admin) => {
    const existing = new Set((await admin.describeTopics(topics)).map((t) => t.topic));
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics(doomed);
  });
}

/**
 * Commits the current end of `topics` for a new `group`, so that its consumer starts exactly
 * "from now": nothing produced after this call resolves is missed, nothing older is read.
 */
export async function startGroupAtEnd(
  kafka: KafkaClient,
  group: string,
  topics: readonly string[],
): Promise<void> {
  await resetGroupToEnd(kafka, group, topics);
}

/** One event as a Kafka record, exactly as Debezium's outbox router publishes it. */
export function eventMessage<K extends EventType>(
  type: K,
  aggregateId: string,
  sequence: number,
  payload: Events[K],
  schemaId: number,
  { eventId = uuidv7(), occurredAt = new Date() }: { eventId?: string; occurredAt?: Date } = {},
): TestMessage & { headers: Record<string, string> } {
  return {
    key: aggregateId,
    value: frame(schemaId, encodePayload(type, payload)),
    headers: envelope(type, aggregateId, sequence, { eventId, occurredAt }),
  };
}

/** The envelope headers of an event. */
export function envelope(
  type: string,
  aggregateId: string,
  sequence: number,
  { eventId = uuidv7(), occurredAt = new Date() }: { eventId?: string; occurredAt?: Date } = {},
): Record<string, string> {
  const aggregateType = Object.hasOwn(catalogue, type)
    ? catalogue[type as EventType].aggregateType
    : type.split('.')[0]!;
  return {
    [envelopeHeaders.eventId]: eventId,
    [envelopeHeaders.eventType]: type,
    [envelopeHeaders.aggregateType]: aggregateType,
    [envelopeHeaders.aggregateId]: aggregateId,
    [envelopeHeaders.sequence]: String(sequence),
    [envelopeHeaders.occurredAt]: occurredAt.toISOString(),
  };
}

/** Produces messages to a topic in chunks (acks from all replicas). */
export async function produce(
  kafka: KafkaClient,
  topic: string,
  messages: readonly TestMessage[],
  chunk = 1000,
): Promise<void> {
  const producer = kafka.producer();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send(messages.slice(i, i + chunk).map((m) => ({ ...m, topic })));
    }
  } finally {
    await producer.close();
  }
}

/** A record as {@link readTopic} returns it: text key and headers (null headers left out). */
export interface ReadRecord {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  partition: number;
  offset: bigint;
}

/** Reads a whole (small) topic from the beginning, waiting until it holds `count` records. */
export async function readTopic(
  kafka: KafkaClient,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<ReadRecord[]> {
  const bounds = await waitFor(
    async () => {
      const b = await kafka.withAdmin((admin) => admin.partitionBounds(topic)).catch(() => []);
      return b.reduce((n, p) => n + Number(p.high - p.low), 0) >= count ? b : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${count} records on ${topic}` },
  );
  const records = await readAll(kafka, {
    ranges: bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
    timeoutMs,
  });
  return records.map((r) => ({
    key: r.key?.toString() ?? null,
    value: r.value,
    headers: textHeaders(r),
    partition: r.partition,
    offset: r.offset,
  }));
}

/** A record's non-null headers as text. */
export function textHeaders(record: KafkaRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of record.headers) if (value !== null) out[name] = value.toString();
  return out;
}

/** The record at `topic`/`partition`/`offset`, headers untouched (null ones stay null). */
export async function recordAt(
  kafka: KafkaClient,
  topic: string,
  partition: number,
  offset: bigint,
  timeoutMs = 60_000,
): Promise<KafkaRecord> {
  const [record] = await readAll(kafka, {
    ranges: [{ topic, partition, from: offset, to: offset + 1n }],
    timeoutMs,
  });
  if (!record || record.offset !== offset) throw new Error(`no record ${topic}/${partition}@${offset}`);
  return record;
}
