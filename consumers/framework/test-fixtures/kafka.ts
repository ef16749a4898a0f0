import type { Admin, Kafka, KafkaMessage, Message } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { envelopeHeaders } from '../../../connect/outbox-connector.ts';
import { waitFor } from '../../../core/wait.ts';
import { catalogue, type Events, type EventType, encodePayload, frame } from '../../../schemas/index.ts';
import { resetGroupToEnd } from '../group-offsets.ts';

/** Runs `work` with a connected admin client. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic (brokers do not auto-create) and waits for its leaders. */
export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] }),
  );
}

/** Deletes topics, ignoring the ones that do not exist. */
export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  });
}

/**
 * Commits the current end of `topics` for a new `group`, so that its consumer starts exactly
 * "from now": nothing produced after this call resolves is missed, nothing older is read.
 */
export async function startGroupAtEnd(kafka: Kafka, group: string, topics: readonly string[]): Promise<void> {
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
): Message {
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
  kafka: Kafka,
  topic: string,
  messages: readonly Message[],
  chunk = 1000,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Reads a whole (small) topic from the beginning until `count` records arrived. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<
  { key: string | null; value: Buffer | null; headers: Record<string, string>; partition: number }[]
> {
  const out: {
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    partition: number;
  }[] = [];
  const consumer = kafka.consumer({ groupId: `test-read-${uuidv7()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          const last = Array.isArray(v) ? v.at(-1) : v;
          if (last !== undefined && last !== null) headers[k] = last.toString();
        }
        out.push({ key: message.key?.toString() ?? null, value: message.value, headers, partition });
      },
    });
    await waitFor(() => out.length >= count, {
      timeoutMs,
      intervalMs: 50,
      what: `${count} records on ${topic}`,
    });
    return out;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * The record at `topic`/`partition`/`offset` as kafkajs decodes it, headers untouched (a
 * header Debezium made from a NULL column keeps its null value here).
 */
export async function recordAt(
  kafka: Kafka,
  topic: string,
  partition: number,
  offset: string,
  timeoutMs = 60_000,
): Promise<KafkaMessage> {
  let found: KafkaMessage | undefined;
  const consumer = kafka.consumer({ groupId: `test-record-at-${uuidv7()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      eachMessage: async (p) => {
        if (p.partition === partition && p.message.offset === offset) found = p.message;
      },
    });
    consumer.seek({ topic, partition, offset });
    return await waitFor(() => found, { timeoutMs, what: `record ${topic}/${partition}@${offset}` });
  } finally {
    await consumer.disconnect();
  }
}
