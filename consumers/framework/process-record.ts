import { context, ROOT_CONTEXT, type Span, type Tracer, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { Dependency, ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { headerText, type KafkaRecord } from '../../core/kafka/index.ts';
import { globalTracingOff } from '../../core/telemetry/index.ts';
import { type AnyEvent, type EventType, isEventType } from '../../schemas/index.ts';
import type { EventDecoder } from '../decoder.ts';
import { createBlockedKeyView } from './blocked-key-view.ts';
import type { BlockedKeyStore } from './blocked-keys.ts';
import type { DeadLetterFailure, DeadLetterQueue } from './dead-letter.ts';
import { alone, type DebounceRule } from './debounce.ts';
import { unavailableDependency } from './dependency.ts';
import type { Coalesced, DebouncedHandler, Handler, HandlerResult, Handlers } from './handler.ts';
import type { ConsumerInstrumentation, RecordRef } from './instrumentation.ts';
import type { ConsumerMetrics } from './metrics.ts';
import type { OutageTracker } from './outages.ts';
import { backoffDelay, type OutagePolicy, type OutageStep, type RetryPolicy, withRetry } from './retry.ts';
import {
  consumerTracer,
  endProcessSpan,
  recordDeadLetter,
  recordRetry,
  startProcessSpan,
  untracedSpan,
} from './tracing.ts';

/** How a record ended: finished (its offset may be committed) or abandoned (it may not). */
export type RecordOutcome = 'processed' | 'skipped' | 'dead-lettered' | 'abandoned';

/** What happens to a key's later events once one of its events is dead-lettered. */
export type OrderingOnFailure = 'continue' | 'block-key';

/** Everything {@link createRecordProcessor} needs. */
export interface RecordProcessorDeps {
  group: string;
  handlers: Handlers;
  decoder: EventDecoder;
  retry: RetryPolicy;
  /** Backoff while a dependency is down (retried without limit, never dead-lettered). */
  outageRetry: OutagePolicy;
  /** The outages being waited out (health, metrics, logs; wakes waiting events on recovery). */
  outages: OutageTracker;
  deadLetters: DeadLetterQueue;
  metrics: ConsumerMetrics;
  events: ConsumerInstrumentation;
  logger: Logger;
  orderingOnFailure: OrderingOnFailure;
  /** Where block-key mode keeps its blocked keys. */
  blockedKeys: BlockedKeyStore;
  /** The tracer of the `process` spans; default the global one (a no-op until an SDK is registered). */
  tracer?: Tracer;
  /** Set by a dead-letter replay: the topic its records come from (a span attribute). */
  replayedFrom?: string;
}

/** Signals of one record's processing. */
export interface RecordSignals {
  /** Draining: start no new attempt, cut retry delays short, leave the record unfinished. */
  stop: AbortSignal;
  /** The drain deadline passed: handed to the handler as `context.signal`. */
  abort: AbortSignal;
}

/** A handler as the processor holds it: a bare function or a debounced definition, one shape. */
type ProcessedHandler = { handle: Handler<EventType> | DebouncedHandler<EventType>; debounce?: DebounceRule };

/**
 * Processes one record end to end: unhandled types are skipped without decoding; the
 * payload is decoded (a registry outage is waited out, poison is dead-lettered); the
 * handler runs under the retry policy, except that a dependency outage (`unavailableDependency`)
 * is waited out without limit; failures of the event go to the dead-letter topic. Never throws.
 */
export function createRecordProcessor(deps: RecordProcessorDeps) {
  const { group, decoder, metrics, events, logger, deadLetters, outages } = deps;
  // A bare function or a definition with options: one shape here, built once.
  const handlers = new Map<string, ProcessedHandler>();
  for (const [type, h] of Object.entries(deps.handlers))
    if (typeof h === 'function') handlers.set(type, { handle: h as Handler<EventType> });
    else if (h)
      handlers.set(type, {
        handle: h.handle as DebouncedHandler<EventType>,
        debounce: { type, ...h.debounce },
      });
  const blockMode = deps.orderingOnFailure === 'block-key';
  const tracer = deps.tracer ?? consumerTracer();
  // With the global tracer and no SDK registered, a span is a no-op: skip its header parsing
  // and attributes (about 5 µs per record, a third of a no-op handler's cost).
  const tracingOff = deps.tracer === undefined ? globalTracingOff : () => false;
  // prom-client hashes a label object on every call: the per-event metrics of each (topic,
  // event type) are bound once instead (a measurable share of a no-op handler's cost).
  // Topic → event type → bound metrics: two lookups, no key string built per record.
  const bound = new Map<string, Map<string, ReturnType<typeof bindMetrics>>>();
  const bindMetrics = (topic: string, type: string) => ({
    commitToHandle: metrics.commitToHandle.labels({ group, event_type: type }),
    handlerDuration: metrics.handlerDuration.labels({ group, event_type: type }),
    ack: metrics.processed.labels({ group, topic, event_type: type, result: 'ack' }),
    skip: metrics.processed.labels({ group, topic, event_type: type, result: 'skip' }),
  });
  const metricsOf = (topic: string, type: string) => {
    let byType = bound.get(topic);
    if (!byType) {
      byType = new Map();
      bound.set(topic, byType);
    }
    let m = byType.get(type);
    if (!m) {
      m = bindMetrics(topic, type);
      byType.set(type, m);
    }
    return m;
  };
  // Keys with a dead-lettered event (block-key mode): reloaded on every join, refreshed
  // periodically by the runner (releases), added to by this processor's dead letters.
  const blocked = createBlockedKeyView({
    group,
    store: deps.blockedKeys,
    retry: deps.retry,
    logger,
    onCount: (n) => metrics.blockedKeys.set({ group }, n),
  });

  async function deadLetter(
    record: KafkaRecord,
    ref: RecordRef,
    failure: DeadLetterFailure,
    eventId: string | undefined,
    signals: RecordSignals,
    span: Span,
    coalesced: Coalesced | undefined,
  ): Promise<RecordOutcome> {
    // The dead letter of a coalesced run is its last event, saying how many it stood for.
    if (coalesced !== undefined && coalesced.count > 1)
      failure.coalesced = { count: coalesced.count, firstOffset: coalesced.firstOffset };
    const topic = await deadLetters.send(record, failure, signals.stop);
    if (topic === undefined) return 'abandoned';
    recordDeadLetter(span, { ...failure, deadLetterTopic: topic });
    metrics.deadLettered.inc({ group, topic: record.topic, reason: failure.reason });
    events.emit('dead-lettered', {
      ...ref,
      reason: failure.reason,
      deadLetterTopic: topic,
      eventId,
      error: failure.error,
      attempts: failure.attempts,
    });
    logger.warn(
      { ...ref, eventId, reason: failure.reason, err: failure.error, attempts: failure.attempts, dlq: topic },
      'dead-lettered',
    );
    if (blockMode && !(await blocked.block(ref, signals.stop))) return 'abandoned';
    return 'dead-lettered';
  }

  async function decode(record: KafkaRecord, signals: RecordSignals) {
    let waiting: string | undefined;
    for (let step = 1; ; step++) {
      try {
        const event = await decoder.decode(record);
        if (waiting) outages.end(waiting, true);
        return { event };
      } catch (error) {
        // Poison never decodes; anything else (the registry is down) is waited out, without
        // a bound: dead-lettering a healthy stream because of an outage would be worse.
        if (isOutstreamError(error, ErrorCode.schemaDecode)) {
          if (waiting) outages.end(waiting, true);
          return { error };
        }
        const dependency = unavailableDependency(error) ?? Dependency.schemaRegistry;
        if (waiting !== undefined && waiting !== dependency) outages.end(waiting, true);
        waiting = dependency;
        if (!signals.stop.aborted) {
          const delayMs = backoffDelay(deps.outageRetry, step);
          await outages.wait({ dependency, step, delayMs, error }, signals.stop);
        }
        if (signals.stop.aborted) {
          outages.end(dependency, false);
          return { abandoned: true as const };
        }
      }
    }
  }

  // The same for every record: built once, not per handler call.
  const outageOptions = {
    unavailable: unavailableDependency,
    outage: deps.outageRetry,
    waitOutage: (step: OutageStep, signal?: AbortSignal) => outages.wait(step, signal),
    onOutageEnd: (dependency: string, recovered: boolean) => outages.end(dependency, recovered),
  };

  async function processRecord(
    record: KafkaRecord,
    signals: RecordSignals,
    coalesced?: Coalesced,
  ): Promise<RecordOutcome> {
    // Built when something needs it (a skip, a dead letter, a listener, a log line): the key's
    // text is not free, and most records need none of them.
    let refMemo: RecordRef | undefined;
    const refOf = (): RecordRef =>
      (refMemo ??= {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString() ?? null,
      });
    const type = headerText(record.headers, envelopeHeaders.eventType);
    // A type this build does not know (a newer producer) or does not handle: skipped, counted,
    // never decoded. Unknown types share one label value, so garbage cannot explode the metric.
    const known = type !== undefined && isEventType(type);
    const handler = known ? handlers.get(type) : undefined;
    if (type !== undefined && handler === undefined) {
      metrics.skipped.inc({
        group,
        topic: record.topic,
        event_type: known ? type : 'unknown',
        reason: known ? 'no-handler' : 'unknown-type',
      });
      events.emit('unhandled', { ...refOf(), eventType: type });
      return 'skipped';
    }
    // Every record a handler is meant for runs in its `process` span (see tracing.ts).
    const span = tracingOff() ? untracedSpan : startProcessSpan(tracer, group, record, deps.replayedFrom);
    const done = { outcome: 'abandoned' as RecordOutcome, attempts: undefined as number | undefined };
    try {
      done.outcome = await handleRecord(record, handler, refOf, signals, span, done, coalesced);
      return done.outcome;
    } finally {
      endProcessSpan(span, done.outcome, done.attempts);
    }
  }

  async function handleRecord(
    record: KafkaRecord,
    handler: ProcessedHandler | undefined,
    refOf: () => RecordRef,
    signals: RecordSignals,
    span: Span,
    done: { attempts: number | undefined },
    coalesced: Coalesced | undefined,
  ): Promise<RecordOutcome> {
    const blockedBy = blockMode ? await blocked.blockedBy(refOf()) : undefined;
    if (blockedBy !== undefined) {
      const ref = refOf();
      const now = new Date();
      const error = new Error(`key ${ref.key} is blocked by the dead letter of offset ${blockedBy}`);
      const failure = {
        reason: 'blocked',
        error,
        attempts: 0,
        firstAttemptAt: now,
        lastAttemptAt: now,
        blockedBy,
      };
      return deadLetter(record, ref, failure as DeadLetterFailure, undefined, signals, span, coalesced);
    }
    const decoded = await decode(record, signals);
    if ('abandoned' in decoded) return 'abandoned';
    if ('error' in decoded) {
      const ref = refOf();
      const now = new Date();
      const failure = {
        reason: 'poison',
        error: decoded.error,
        attempts: 0,
        firstAttemptAt: now,
        lastAttemptAt: now,
      };
      return deadLetter(
        record,
        ref,
        failure as DeadLetterFailure,
        headerText(record.headers, envelopeHeaders.eventId),
        signals,
        span,
        coalesced,
      );
    }
    const event: AnyEvent = decoded.event;
    // Built on first use: most handlers never log, and a child logger per event is not free.
    let eventLogger: Logger | undefined;
    const log = () =>
      (eventLogger ??= logger.child({
        eventId: event.id,
        eventType: event.type,
        aggregateId: event.aggregateId,
        sequence: event.sequence,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        ...(event.trace ? { traceparent: event.trace.traceparent } : {}),
      }));
    const m = metricsOf(record.topic, event.type);
    m.commitToHandle.observe(Math.max(0, Date.now() - event.occurredAt.getTime()) / 1000);
    const startedAt = performance.now();
    // A debounced handler is told what its run stands for (itself alone, when no window held it).
    const stands =
      handler!.debounce === undefined ? undefined : (coalesced ?? alone(record.offset, event.sequence));
    if (stands !== undefined && stands.count > 1)
      metrics.coalesced.inc({ group, topic: record.topic, event_type: event.type }, stands.count - 1);
    // The handler runs with its span active: what it emits (or any instrumented call) joins the trace.
    const active = trace.setSpan(ROOT_CONTEXT, span);
    const outcome = await withRetry(
      async (attempt) => {
        const end = m.handlerDuration.startTimer();
        try {
          const handlerContext = {
            group,
            attempt,
            signal: signals.abort,
            get logger() {
              return log();
            },
          };
          if (stands !== undefined)
            Object.defineProperty(handlerContext, 'coalesced', { value: stands, enumerable: true });
          return await context.with(active, () => handler!.handle(event as never, handlerContext as never));
        } finally {
          end();
        }
      },
      deps.retry,
      {
        ...outageOptions,
        stop: signals.stop,
        onRetry: ({ attempt, delayMs, error }) => {
          metrics.retried.inc({ group, topic: record.topic, event_type: event.type });
          events.emit('retry', { ...refOf(), eventType: event.type, attempt, delayMs, error });
          recordRetry(span, attempt, delayMs, error);
          log().warn({ err: error, attempt, delayMs }, 'handler failed; retrying');
        },
      },
    );
    done.attempts = outcome.attempts;
    if (outcome.ok) {
      const result: HandlerResult = outcome.value ?? { kind: 'ack' };
      if (result.kind === 'skip') {
        metrics.skipped.inc({ group, topic: record.topic, event_type: event.type, reason: result.reason });
      }
      (result.kind === 'skip' ? m.skip : m.ack).inc();
      if (events.listening('processed'))
        events.emit('processed', {
          ...refOf(),
          eventId: event.id,
          eventType: event.type,
          aggregateId: event.aggregateId,
          sequence: event.sequence,
          result: result.kind,
          attempts: outcome.attempts,
          durationMs: performance.now() - startedAt,
        });
      return result.kind === 'skip' ? 'skipped' : 'processed';
    }
    if (outcome.reason === 'stopped') return 'abandoned';
    // The dead letter names the handler's own error (class, code, message) and the attempts.
    const failure: DeadLetterFailure = {
      reason: outcome.reason === 'exhausted' ? 'retries-exhausted' : 'non-retriable',
      error: outcome.error,
      attempts: outcome.attempts,
      firstAttemptAt: outcome.firstAttemptAt,
      lastAttemptAt: outcome.lastAttemptAt,
    };
    return deadLetter(record, refOf(), failure, event.id, signals, span, stands);
  }

  return {
    process: processRecord,
    /** The debounce of a record's event type, from its header (never decoded); undefined: none. */
    debounceOf(record: KafkaRecord): DebounceRule | undefined {
      const type = headerText(record.headers, envelopeHeaders.eventType);
      return type === undefined ? undefined : handlers.get(type)?.debounce;
    },
    /** True when some handler is debounced (else the loop need not ask per record). */
    debounces: [...handlers.values()].some((h) => h.debounce !== undefined),
    /** Loads the group's blocked keys anew (on every join); records wait for it. */
    reloadBlocked(): void {
      if (blockMode) blocked.reload();
    },
    /** Picks up released and newly blocked keys in the background (periodically). */
    async refreshBlocked(): Promise<void> {
      if (blockMode) await blocked.refresh();
    },
  };
}

/** The processor {@link createRecordProcessor} returns. */
export type RecordProcessor = ReturnType<typeof createRecordProcessor>;
