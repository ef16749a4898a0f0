import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, IHeaders, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { RawRecord } from '../decoder.ts';

/** Header names a dead letter carries besides the original record's own headers. */
export const deadLetterHeaders = {
  /** `poison`, `retries-exhausted`, `non-retriable` or `blocked` (see README). */
  reason: 'dlq-reason',
  group: 'dlq-group',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  originalKey: 'dlq-original-key',
  originalTimestamp: 'dlq-original-timestamp',
  /** The error's class name (`SchemaDecodeError`, `TypeError`…). */
  errorClass: 'dlq-error-class',
  /** The error's `code` when it has one (Outstream codes, Node's `ECONNREFUSED`…). */
  errorCode: 'dlq-error-code',
  errorMessage: 'dlq-error-message',
  attempts: 'dlq-attempts',
  /** ISO-8601 times of the first and last handler attempt. */
  firstAttemptAt: 'dlq-first-attempt-at',
  lastAttemptAt: 'dlq-last-attempt-at',
  /** With reason `blocked`: the offset of the earlier dead letter that blocks this key. */
  blockedBy: 'dlq-blocked-by-offset',
} as const;

/** Why a record was dead-lettered. */
export type DeadLetterReason = 'poison' | 'retries-exhausted' | 'non-retriable' | 'blocked';

/** What the dead letter records about the failure. */
export interface DeadLetterFailure {
  reason: DeadLetterReason;
  error: unknown;
  attempts: number;
  firstAttemptAt: Date;
  lastAttemptAt: Date;
  blockedBy?: string;
}

/**
 * The dead-letter topic of a topic for a consumer group: `<topic>.dlq.<group>`. One per
 * group, so that each group can replay or discard its own failures.
 */
export function deadLetterTopic(topic: string, group: string): string {
  return `${topic}.dlq.${group}`;
}

const maxMessageChars = 2_000;

/**
 * The dead letter of a record (pure): the original key, value and headers untouched (a
 * replay can re-publish it as it was), plus the `dlq-*` headers of {@link deadLetterHeaders}.
 */
export function deadLetterMessage(record: RawRecord, group: string, failure: DeadLetterFailure): Message {
  const { error } = failure;
  const errorClass =
    error instanceof Error ? error.constructor.name || error.name : error === null ? 'null' : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const key = record.message.key;
  const headers: IHeaders = {
    ...record.message.headers,
    [deadLetterHeaders.reason]: failure.reason,
    [deadLetterHeaders.group]: group,
    [deadLetterHeaders.originalTopic]: record.topic,
    [deadLetterHeaders.originalPartition]: String(record.partition),
    [deadLetterHeaders.originalOffset]: record.message.offset,
    [deadLetterHeaders.originalTimestamp]: String(record.message.timestamp),
    [deadLetterHeaders.errorClass]: errorClass,
    [deadLetterHeaders.errorMessage]: message.slice(0, maxMessageChars),
    [deadLetterHeaders.attempts]: String(failure.attempts),
    [deadLetterHeaders.firstAttemptAt]: failure.firstAttemptAt.toISOString(),
    [deadLetterHeaders.lastAttemptAt]: failure.lastAttemptAt.toISOString(),
  };
  if (key !== null && key !== undefined) headers[deadLetterHeaders.originalKey] = key;
  if (typeof code === 'string' || typeof code === 'number')
    headers[deadLetterHeaders.errorCode] = String(code);
  if (failure.blockedBy !== undefined) headers[deadLetterHeaders.blockedBy] = failure.blockedBy;
  return { key: key ?? null, value: record.message.value ?? null, headers };
}

/** Sends dead letters of one consumer group. */
export interface DeadLetterQueue {
  connect(): Promise<void>;
  /**
   * Writes the dead letter and resolves once the broker has it (acks from all in-sync
   * replicas), creating the topic on first use. Retries until it succeeds or `stop` fires:
   * the record's offset is only committed after its dead letter is safe.
   *
   * @returns the dead-letter topic, or undefined when `stop` fired first.
   */
  send(record: RawRecord, failure: DeadLetterFailure, stop: AbortSignal): Promise<string | undefined>;
  disconnect(): Promise<void>;
}

/**
 * Creates the dead-letter writer of a group. Topics are created on demand through the admin
 * API (brokers run with auto-creation off), with the partition count of the source topic.
 */
export function createDeadLetterQueue({
  kafka,
  group,
  logger,
}: {
  kafka: Kafka;
  group: string;
  logger: Logger;
}): DeadLetterQueue {
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  const ensured = new Map<string, Promise<void>>();

  async function ensureTopic(source: string, topic: string): Promise<void> {
    let p = ensured.get(topic);
    if (!p) {
      p = (async () => {
        if (!admin) {
          admin = kafka.admin();
          await admin.connect();
        }
        const existing = await admin.listTopics();
        if (existing.includes(topic)) return;
        const meta = await admin.fetchTopicMetadata({ topics: [source] });
        const partitions = meta.topics[0]?.partitions.length ?? 1;
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
        logger.info({ topic, partitions }, 'created dead-letter topic');
      })();
      p.catch(() => ensured.delete(topic));
      ensured.set(topic, p);
    }
    return p;
  }

  return {
    async connect() {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
    },
    async send(record, failure, stop) {
      const topic = deadLetterTopic(record.topic, group);
      const message = deadLetterMessage(record, group, failure);
      for (let attempt = 1; !stop.aborted; attempt++) {
        try {
          if (!producer) throw new Error('dead-letter producer is not connected');
          await ensureTopic(record.topic, topic);
          await producer.send({ topic, acks: -1, messages: [message] });
          return topic;
        } catch (e) {
          logger.error({ err: e, topic, attempt }, 'could not write dead letter; retrying');
          await sleep(Math.min(5_000, 100 * 2 ** attempt), undefined, { signal: stop }).catch(
            () => undefined,
          );
        }
      }
      return undefined;
    },
    async disconnect() {
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
      producer = undefined;
      admin = undefined;
    },
  };
}
