import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import type { KafkaClient, KafkaRecord } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { createEventDecoder, type EventDecoder } from '../decoder.ts';
import { type BlockedKeyStore, memoryBlockedKeyStore } from './blocked-keys.ts';
import { createDeadLetterQueue, type DeadLetterQueue } from './dead-letter.ts';
import type { DebounceRule } from './debounce.ts';
import type { Coalesced, Handlers } from './handler.ts';
import { type ConsumerInstrumentation, createInstrumentation } from './instrumentation.ts';
import { createKeyScheduler, type KeyScheduler } from './key-scheduler.ts';
import { type ConsumerMetrics, createConsumerMetrics } from './metrics.ts';
import { createOutageTracker, type OutageTracker } from './outages.ts';
import {
  createRecordProcessor,
  type OrderingOnFailure,
  type RecordOutcome,
  type RecordProcessor,
  type RecordSignals,
} from './process-record.ts';
import type { OutagePolicy, RetryPolicy } from './retry.ts';

/** The parsed options a consumer core is built from (see options.ts for each). */
export interface CoreOptions {
  group: string;
  handlers: Handlers;
  kafka: KafkaClient;
  registry?: Pick<SchemaRegistry, 'schemaById'>;
  decoder?: EventDecoder;
  logger?: Logger;
  inFlight: number;
  retry: RetryPolicy;
  outageRetry: OutagePolicy;
  orderingOnFailure: OrderingOnFailure;
  blockedKeys?: BlockedKeyStore;
  deadLetter: { retentionMs: number };
  metricsRegistry?: Registry;
  /** A dead-letter replay's source topic (named on its `process` spans). */
  replayedFrom?: string;
}

/**
 * The processing core of a consumer: decode → handler → retries → dead letter on failure,
 * scheduled per key. `defineConsumer` runs it on a group member, a dead-letter replay on a
 * bounded read; both build it here from the same parsed options.
 */
export interface ConsumerCore {
  group: string;
  logger: Logger;
  metrics: ConsumerMetrics;
  metricsRegistry: Registry;
  events: ConsumerInstrumentation;
  scheduler: KeyScheduler;
  processor: RecordProcessor;
  deadLetters: DeadLetterQueue;
  /** The dependency outages its events are waiting out. */
  outages: OutageTracker;
  /**
   * Processes one record (never throws), counted in the in-flight gauge; `coalesced`: the last
   * record of a debounce window, standing for its events.
   */
  process(record: KafkaRecord, signals: RecordSignals, coalesced?: Coalesced): Promise<RecordOutcome>;
  /** The debounce of a record's event type (live groups only: a replay never debounces); undefined when no handler has one. */
  debounce: ((record: KafkaRecord) => DebounceRule | undefined) | undefined;
  /** Records processed so far (whatever their outcome): progress, read by the liveness check. */
  finished(): number;
}

/** Builds the {@link ConsumerCore} of parsed options. */
export function createConsumerCore(o: CoreOptions, logContext: Record<string, string> = {}): ConsumerCore {
  const { group } = o;
  const logger = (o.logger ?? pino({ level: 'info' })).child({ group, ...logContext });
  const metricsRegistry = o.metricsRegistry ?? new Registry();
  const metrics = createConsumerMetrics(metricsRegistry);
  const events = createInstrumentation();
  const deadLetters = createDeadLetterQueue({
    kafka: o.kafka,
    group,
    logger,
    retentionMs: o.deadLetter.retentionMs,
  });
  const outages = createOutageTracker({ group, logger, metrics });
  const processor = createRecordProcessor({
    group,
    handlers: o.handlers,
    // The option schema requires one of the two.
    decoder: o.decoder ?? createEventDecoder(o.registry!),
    retry: o.retry,
    outageRetry: o.outageRetry,
    outages,
    deadLetters,
    metrics,
    events,
    logger,
    orderingOnFailure: o.orderingOnFailure,
    blockedKeys: o.blockedKeys ?? memoryBlockedKeyStore(),
    ...(o.replayedFrom === undefined ? {} : { replayedFrom: o.replayedFrom }),
  });
  const inFlight = metrics.inFlight.labels({ group });
  let finished = 0;
  // One callback, no async frame: this runs for every record.
  const settle = (outcome: RecordOutcome) => {
    inFlight.dec();
    finished++;
    return outcome;
  };
  return {
    group,
    logger,
    metrics,
    metricsRegistry,
    events,
    scheduler: createKeyScheduler({ limit: o.inFlight }),
    processor,
    deadLetters,
    outages,
    process(record, signals, coalesced) {
      inFlight.inc();
      // The processor never throws (or rejects): every failure is an outcome.
      return processor.process(record, signals, coalesced).then(settle);
    },
    debounce: processor.debounces ? processor.debounceOf : undefined,
    finished: () => finished,
  };
}
