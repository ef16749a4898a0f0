import type { Kafka } from 'kafkajs';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError } from '../../core/errors.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { topics as allTopics, catalogue, isEventType, type Topic } from '../../schemas/index.ts';
import { createEventDecoder, type EventDecoder } from '../decoder.ts';
import { type BlockedKeyStore, memoryBlockedKeyStore } from './blocked-keys.ts';
import { createDeadLetterQueue, type DeadLetterOptions } from './dead-letter.ts';
import { defaultDeadLetterRetentionMs } from './dead-letter-topic.ts';
import type { Handlers } from './handler.ts';
import { type ConsumerInstrumentation, createInstrumentation } from './instrumentation.ts';
import { createKeyScheduler } from './key-scheduler.ts';
import { createConsumerMetrics } from './metrics.ts';
import { createRecordProcessor, type OrderingOnFailure } from './process-record.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import { type ConsumerState, createRunner, type KafkaConsumerTuning } from './runner.ts';

/** Options of {@link defineConsumer}. */
export interface ConsumerOptions {
  /** Consumer group id: letters, digits, `.`, `_`, `-` (it also names the dead-letter topics). */
  group: string;
  /** One handler per event type; the topics to read follow from these types. */
  handlers: Handlers;
  /** The Kafka client (`createKafka(config.kafka)`). */
  kafka: Kafka;
  /** The schema registry, for writer schemas by id (`createSchemaRegistry(config.registry)`). */
  registry: Pick<SchemaRegistry, 'schemaById'>;
  /** Structured logger; default a pino logger at `info`. */
  logger?: Logger;
  /** Events handled at once over all keys and partitions (default 64). Same key: always one. */
  inFlight?: number;
  /** Retry policy of failing handlers; missing fields come from {@link defaultRetryPolicy}. */
  retry?: Partial<RetryPolicy>;
  /**
   * What a dead letter does to the rest of its aggregate: `continue` (default) processes the
   * key's later events; `block-key` sends them to the dead-letter topic too (reason `blocked`),
   * so the aggregate is never seen with a hole. See README.
   */
  orderingOnFailure?: OrderingOnFailure;
  /**
   * Where `block-key` keeps blocked keys: in this process (default) or in Postgres
   * (`createPgBlockedKeyStore(pool)`: survives restarts and partition moves).
   */
  blockedKeys?: BlockedKeyStore;
  /**
   * How often (ms) a running `block-key` consumer reloads the blocked keys from `blockedKeys`,
   * so that a release (`npm run dlq -- release-key`) takes effect without a restart or
   * rebalance (default 10 s; 0: only when joining the group).
   */
  blockedKeysRefreshMs?: number;
  /** Dead-letter topics (`<topic>.dlq.<group>`, created on first use). */
  deadLetter?: DeadLetterOptions;
  /**
   * Where a new group starts: at the beginning of the topics, or (default false) at their end
   * as of when it first gets each partition. Either way that position is committed at once,
   * so a group stopped before it handled anything resumes from there (nothing written in
   * between is skipped). A group with commits always resumes from them.
   */
  fromBeginning?: boolean;
  /** How long shutdown and rebalances wait for in-flight handlers (default 15 s). */
  drainTimeoutMs?: number;
  /** How long `start()` waits to join the group (default 60 s). */
  startTimeoutMs?: number;
  /** Prometheus registry (default: a new one per consumer); share one between consumers of a process. */
  metricsRegistry?: Registry;
  /**
   * Physical topic names, when they differ from the catalogue's (an environment prefix, a
   * replay or test topic): `{ 'events.booking': 'staging.events.booking' }`.
   */
  topicNames?: Partial<Record<Topic, string>>;
  /** Decoder override (e.g. a reader schema other than the generated one); default from `registry`. */
  decoder?: EventDecoder;
  /** kafkajs consumer settings (session timeout, fetch sizes…). */
  kafkaConsumer?: KafkaConsumerTuning;
}

/** What {@link Consumer.status} reports. */
export interface ConsumerStatus {
  group: string;
  state: ConsumerState;
  /** Partitions assigned in the current generation, by topic. */
  assignment: Record<string, number[]>;
  /** Events being handled or waiting for their key. */
  inFlight: number;
  lastBatchAt: Date | undefined;
}

/** A defined consumer: start it, stop it, watch it. */
export interface Consumer {
  readonly group: string;
  /** The topics it reads. */
  readonly topics: readonly string[];
  /**
   * Joins the group; resolves once partitions are assigned and each one's position is resolved
   * and committed (a new group's start position included).
   */
  start(): Promise<void>;
  /** Stops fetching, drains in-flight work (bounded), commits what is safe, leaves the group. */
  stop(): Promise<void>;
  /** Instrumentation events (`processed`, `dead-lettered`, `committed`, …). */
  readonly events: ConsumerInstrumentation;
  /** The Prometheus registry its metrics live in. */
  readonly metrics: Registry;
  status(): ConsumerStatus;
}

const groupPattern = /^[A-Za-z0-9._-]{1,200}$/;
const topicPattern = /^[A-Za-z0-9._-]{1,200}$/;
const orderings: readonly OrderingOnFailure[] = ['continue', 'block-key'];
// Shorter than an hour is almost surely a unit mistake (seconds for milliseconds).
const minRetentionMs = 3_600_000;

/**
 * Defines a consumer group: typed handlers per event type, topics derived from the
 * catalogue, ordered per aggregate, parallel across aggregates, at least once, with retries
 * and dead letters. Validates every option up front.
 *
 * @throws ConfigError naming each invalid option.
 * @example
 * const consumer = defineConsumer({
 *   group: 'notifications',
 *   kafka: createKafka(config.kafka),
 *   registry: createSchemaRegistry(config.registry),
 *   handlers: {
 *     'booking.confirmed': async (e, { logger }) => {
 *       await mailer.send(e.payload.guest.email, `Booking ${e.payload.reference} confirmed`);
 *     },
 *   },
 * });
 * await consumer.start();
 * shutdownOnSignals([consumer]);
 */
export function defineConsumer(options: ConsumerOptions): Consumer {
  validate(options);
  const { group, handlers } = options;
  const logger = (options.logger ?? pino({ level: 'info' })).child({ group });
  const retry: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const metricsRegistry = options.metricsRegistry ?? new Registry();
  const metrics = createConsumerMetrics(metricsRegistry);
  const events = createInstrumentation();
  const decoder = options.decoder ?? createEventDecoder(options.registry);
  const deadLetters = createDeadLetterQueue({
    kafka: options.kafka,
    group,
    logger,
    retentionMs: options.deadLetter?.retentionMs ?? defaultDeadLetterRetentionMs,
  });
  const handledTopics = [
    ...new Set(
      Object.keys(handlers).map((type) => {
        const topic = catalogue[type as keyof typeof catalogue].topic;
        return options.topicNames?.[topic] ?? topic;
      }),
    ),
  ];
  const processor = createRecordProcessor({
    group,
    handlers,
    decoder,
    retry,
    deadLetters,
    metrics,
    events,
    logger,
    orderingOnFailure: options.orderingOnFailure ?? 'continue',
    blockedKeys: options.blockedKeys ?? memoryBlockedKeyStore(),
  });
  const runner = createRunner({
    group,
    kafka: options.kafka,
    topics: handledTopics,
    fromBeginning: options.fromBeginning ?? false,
    scheduler: createKeyScheduler({ limit: options.inFlight ?? 64 }),
    processor,
    metrics,
    events,
    logger,
    drainTimeoutMs: options.drainTimeoutMs ?? 15_000,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    tuning: options.kafkaConsumer ?? {},
    blockedKeysRefreshMs:
      options.orderingOnFailure === 'block-key' ? (options.blockedKeysRefreshMs ?? 10_000) : undefined,
  });

  return {
    group,
    topics: handledTopics,
    async start() {
      await deadLetters.connect();
      try {
        await runner.start();
      } catch (e) {
        await deadLetters.disconnect();
        throw e;
      }
    },
    async stop() {
      await runner.stop();
      await deadLetters.disconnect();
    },
    events,
    metrics: metricsRegistry,
    status: () => ({ group, ...runner.status() }),
  };
}

function validate(o: ConsumerOptions): void {
  const issues: string[] = [];
  const bad = (path: string, expected: string, got: unknown) =>
    issues.push(`${path}: must be ${expected}, got ${describe(got)}`);
  if (typeof o !== 'object' || o === null) throw new ConfigError(['options: must be an object']);
  if (typeof o.group !== 'string' || !groupPattern.test(o.group)) {
    bad('group', 'letters, digits, ".", "_" or "-" (1 to 200)', o.group);
  }
  if (typeof o.handlers !== 'object' || o.handlers === null || Object.keys(o.handlers).length === 0) {
    bad('handlers', 'an object with at least one handler', o.handlers);
  } else {
    for (const [type, handler] of Object.entries(o.handlers)) {
      if (!isEventType(type))
        issues.push(`handlers.${type}: not an event type of the catalogue (schemas/catalogue.ts)`);
      else if (typeof handler !== 'function') bad(`handlers.${type}`, 'a function', handler);
    }
  }
  if (typeof (o.kafka as { consumer?: unknown } | undefined)?.consumer !== 'function') {
    bad('kafka', 'a kafkajs Kafka client', o.kafka);
  }
  if (o.decoder === undefined && typeof o.registry?.schemaById !== 'function') {
    bad('registry', 'a schema registry client', o.registry);
  }
  const int = (path: string, v: unknown, min: number, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) {
      bad(path, `an integer from ${min} to ${max}`, v);
    }
  };
  int('inFlight', o.inFlight, 1, 10_000);
  int('drainTimeoutMs', o.drainTimeoutMs, 0, 600_000);
  int('startTimeoutMs', o.startTimeoutMs, 1, 600_000);
  int('blockedKeysRefreshMs', o.blockedKeysRefreshMs, 0, 3_600_000);
  if (o.retry !== undefined) {
    const r = o.retry;
    int('retry.maxAttempts', r.maxAttempts, 1, 1_000);
    int('retry.initialDelayMs', r.initialDelayMs, 0, 3_600_000);
    int('retry.maxDelayMs', r.maxDelayMs, 0, 3_600_000);
    int('retry.maxElapsedMs', r.maxElapsedMs, 0, 86_400_000);
    if (r.multiplier !== undefined && !(typeof r.multiplier === 'number' && r.multiplier >= 1)) {
      bad('retry.multiplier', 'a number ≥ 1', r.multiplier);
    }
    if (r.jitter !== undefined && !(typeof r.jitter === 'number' && r.jitter >= 0 && r.jitter <= 1)) {
      bad('retry.jitter', 'a number from 0 to 1', r.jitter);
    }
  }
  if (o.deadLetter !== undefined) {
    const ms = (o.deadLetter as DeadLetterOptions | null)?.retentionMs;
    if (typeof o.deadLetter !== 'object' || o.deadLetter === null)
      bad('deadLetter', 'an object', o.deadLetter);
    else if (ms !== undefined && ms !== -1 && !(Number.isSafeInteger(ms) && ms >= minRetentionMs)) {
      bad('deadLetter.retentionMs', `milliseconds ≥ ${minRetentionMs} (1 hour), or -1 (forever)`, ms);
    }
  }
  if (o.orderingOnFailure !== undefined && !orderings.includes(o.orderingOnFailure)) {
    bad('orderingOnFailure', `one of ${orderings.join(', ')}`, o.orderingOnFailure);
  }
  if (
    o.blockedKeys !== undefined &&
    (typeof o.blockedKeys?.load !== 'function' || typeof o.blockedKeys?.block !== 'function')
  ) {
    bad('blockedKeys', 'a BlockedKeyStore (load and block)', o.blockedKeys);
  }
  for (const [topic, name] of Object.entries(o.topicNames ?? {})) {
    if (!(allTopics as readonly string[]).includes(topic))
      issues.push(`topicNames.${topic}: not a catalogue topic`);
    else if (typeof name !== 'string' || !topicPattern.test(name))
      bad(`topicNames.${topic}`, 'a topic name', name);
  }
  if (issues.length > 0) throw new ConfigError(issues.map((i) => `defineConsumer ${i}`));
}

function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return JSON.stringify(v) ?? String(v);
}
