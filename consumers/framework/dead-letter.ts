import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  deadLetterTopic,
  type KafkaClient,
  type KafkaProducer,
  type KafkaRecord,
  type ProducerRecord,
  producibleHeaders,
} from '../../core/kafka/index.ts';
import { ensureDeadLetterTopic } from './dead-letter-topic.ts';

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
  /** A debounced run's dead letter: the events its (last) event stood for, the first's offset. */
  coalescedCount: 'dlq-coalesced-count',
  coalescedFirstOffset: 'dlq-coalesced-first-offset',
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
  /** With reason `blocked`: the offset of the event whose dead letter blocks the key. */
  blockedBy?: bigint;
  /** A debounced run that stood for several events (the record is the last of them). */
  coalesced?: { count: number; firstOffset: bigint };
}

const maxMessageChars = 2_000;

/** A dead letter to write (its topic comes from `deadLetterTopic`). */
export type DeadLetterRecord = Omit<ProducerRecord, 'topic' | 'partition'>;

/**
 * The dead letter of a record (pure): the original key, value and headers (a replay can
 * re-publish it as it was; headers with a null value — Debezium's NULL outbox columns — are
 * left out, see `producibleHeaders`), plus the `dlq-*` headers of {@link deadLetterHeaders}.
 */
export function deadLetterMessage(
  record: KafkaRecord,
  group: string,
  failure: DeadLetterFailure,
): DeadLetterRecord {
  const { error } = failure;
  const errorClass =
    error instanceof Error ? error.constructor.name || error.name : error === null ? 'null' : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const headers: Record<string, Buffer | string> = {
    ...producibleHeaders(record.headers),
    [deadLetterHeaders.reason]: failure.reason,
    [deadLetterHeaders.group]: group,
    [deadLetterHeaders.originalTopic]: record.topic,
    [deadLetterHeaders.originalPartition]: String(record.partition),
    [deadLetterHeaders.originalOffset]: record.offset.toString(),
    [deadLetterHeaders.originalTimestamp]: String(record.timestamp),
    [deadLetterHeaders.errorClass]: errorClass,
    [deadLetterHeaders.errorMessage]: message.slice(0, maxMessageChars),
    [deadLetterHeaders.attempts]: String(failure.attempts),
    [deadLetterHeaders.firstAttemptAt]: failure.firstAttemptAt.toISOString(),
    [deadLetterHeaders.lastAttemptAt]: failure.lastAttemptAt.toISOString(),
  };
  if (record.key !== null) headers[deadLetterHeaders.originalKey] = record.key;
  if (typeof code === 'string' || typeof code === 'number')
    headers[deadLetterHeaders.errorCode] = String(code);
  if (failure.blockedBy !== undefined) headers[deadLetterHeaders.blockedBy] = failure.blockedBy.toString();
  if (failure.coalesced !== undefined) {
    headers[deadLetterHeaders.coalescedCount] = String(failure.coalesced.count);
    headers[deadLetterHeaders.coalescedFirstOffset] = failure.coalesced.firstOffset.toString();
  }
  return { key: record.key, value: record.value, headers };
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
  send(record: KafkaRecord, failure: DeadLetterFailure, stop: AbortSignal): Promise<string | undefined>;
  disconnect(): Promise<void>;
}

/** Options of {@link createDeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  kafka: KafkaClient;
  group: string;
  logger: Logger;
  /** `retention.ms` of the dead-letter topics it creates (see `ensureDeadLetterTopic`). */
  retentionMs: number;
}

/**
 * Creates the dead-letter writer of a group. Topics are created on demand through the admin
 * API (brokers run with auto-creation off), with the partition count of the source topic and
 * an explicit retention.
 */
export function createDeadLetterQueue({
  kafka,
  group,
  logger,
  retentionMs,
}: DeadLetterQueueOptions): DeadLetterQueue {
  let producer: KafkaProducer | undefined;
  const ensured = new Map<string, Promise<void>>();

  function ensureTopic(source: string, topic: string): Promise<void> {
    let p = ensured.get(topic);
    if (!p) {
      p = kafka.withAdmin((admin) => ensureDeadLetterTopic(admin, { source, topic, retentionMs, logger }));
      p.catch(() => ensured.delete(topic));
      ensured.set(topic, p);
    }
    return p;
  }

  return {
    async connect() {
      producer = kafka.producer();
    },
    async send(record, failure, stop) {
      const topic = deadLetterTopic(record.topic, group);
      const letter = { topic, ...deadLetterMessage(record, group, failure) };
      for (let attempt = 1; !stop.aborted; attempt++) {
        try {
          if (!producer) throw new Error('dead-letter producer is not connected');
          await ensureTopic(record.topic, topic);
          await producer.send([letter]);
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
      const p = producer;
      producer = undefined;
      await p?.close();
    },
  };
}
