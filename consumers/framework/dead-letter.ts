import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, IHeaders, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { RawRecord } from '../decoder.ts';
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
 * Headers without null values (pure), ready to be produced. Debezium turns a NULL outbox
 * column (actor, traceparent, tracestate) into a header with a null value, which kafkajs
 * decodes but cannot encode: a record that re-produces such headers as they are fails to
 * send, forever. A repeated header keeps its non-null values; one left with none is dropped.
 */
export function producibleHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Array.isArray(value)) {
      const kept = value.filter((v) => v !== null && v !== undefined);
      if (kept.length > 0) out[name] = kept;
    } else if (value !== null && value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * The dead letter of a record (pure): the original key, value and headers (a replay can
 * re-publish it as it was; headers with a null value, which Kafka cannot carry back, are left
 * out), plus the `dlq-*` headers of {@link deadLetterHeaders}.
 */
export function deadLetterMessage(record: RawRecord, group: string, failure: DeadLetterFailure): Message {
  const { error } = failure;
  const errorClass =
    error instanceof Error ? error.constructor.name || error.name : error === null ? 'null' : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const key = record.message.key;
  const headers: IHeaders = {
    ...producibleHeaders(record.message.headers),
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

/** Settings of a consumer's dead-letter topics. */
export interface DeadLetterOptions {
  /**
   * `retention.ms` of the dead-letter topics (default `defaultDeadLetterRetentionMs`,
   * 30 days; -1 keeps them forever). Set when the framework creates a topic, and on an existing
   * one that has no retention of its own; a retention set on the topic is left as it is.
   * Keep `processed_events` at least this long (see README).
   */
  retentionMs?: number;
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

/** Options of {@link createDeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  kafka: Kafka;
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
        await ensureDeadLetterTopic(admin, { source, topic, retentionMs, logger });
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
