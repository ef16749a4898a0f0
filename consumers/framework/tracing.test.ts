import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordHeaders } from '../../core/kafka/index.ts';
import { activeTraceContext, type TraceContext } from '../../core/telemetry/index.ts';
import { startTracing, type Tracing } from '../../core/telemetry/sdk.ts';
import { type AnyEvent, samples } from '../../schemas/index.ts';
import type { EventDecoder } from '../decoder.ts';
import { memoryBlockedKeyStore } from './blocked-keys.ts';
import type { DeadLetterQueue } from './dead-letter.ts';
import type { Handlers } from './handler.ts';
import { createInstrumentation } from './instrumentation.ts';
import { createConsumerMetrics } from './metrics.ts';
import { createOutageTracker } from './outages.ts';
import { createRecordProcessor } from './process-record.ts';
import { defaultOutagePolicy } from './retry.ts';
import { bookingRecord } from './test-fixtures/records.ts';
import { MessagingAttr, OutstreamSpan } from './tracing.ts';

// The `process` span of each record, read from an in-memory exporter: a child of the emitter's
// trace context, with the messaging conventions' attributes, retries and dead letters on it.

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const emitSpanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${emitSpanId}-01`;
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
beforeAll(() => {
  tracing = startTracing({ serviceName: 'test', exporter, processor: 'simple' });
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

const event = {
  id: 'e-1',
  type: 'booking.created',
  aggregateType: 'booking',
  aggregateId: 'b-1',
  sequence: 1,
  occurredAt: new Date(),
  actor: null,
  trace: null,
  payload: samples['booking.created'],
  kafka: { topic: 'events.booking', partition: 3, offset: 42n, timestamp: 0 },
} as unknown as AnyEvent;

function processor(handlers: Handlers, deadLetterTopic = 'dlq.g.events.booking', replayedFrom?: string) {
  const logger = pino({ level: 'silent' });
  const metrics = createConsumerMetrics(new Registry());
  const deadLetters: DeadLetterQueue = {
    connect: async () => {},
    disconnect: async () => {},
    send: async () => deadLetterTopic,
  };
  const decoder = { decode: async () => event } as unknown as EventDecoder;
  return createRecordProcessor({
    group: 'g',
    handlers,
    decoder,
    retry: {
      maxAttempts: 3,
      initialDelayMs: 1,
      maxDelayMs: 1,
      multiplier: 1,
      jitter: 0,
      maxElapsedMs: 10_000,
    },
    outageRetry: defaultOutagePolicy,
    outages: createOutageTracker({ group: 'g', logger, metrics }),
    deadLetters,
    metrics,
    events: createInstrumentation(),
    logger,
    orderingOnFailure: 'continue',
    blockedKeys: memoryBlockedKeyStore(),
    ...(replayedFrom === undefined ? {} : { replayedFrom }),
  });
}

const signals = () => ({ stop: new AbortController().signal, abort: new AbortController().signal });
const withTrace = (headers: Record<string, string>) =>
  bookingRecord({
    headers: recordHeaders({ 'event-id': 'e-1', 'event-type': 'booking.created', ...headers }),
  });
const only = (): ReadableSpan => {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
};

describe('the process span of a record', () => {
  it("is a CONSUMER child of the emitter's span, with the messaging attributes, active in the handler", async () => {
    let inHandler: TraceContext | undefined;
    const p = processor({
      'booking.created': async () => {
        inHandler = activeTraceContext();
      },
    });
    expect(await p.process(withTrace({ traceparent, tracestate: 'k=v' }), signals())).toBe('processed');
    const span = only();
    expect(span.name).toBe('process events.booking');
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(emitSpanId);
    expect(span.spanContext().traceState?.get('k')).toBe('v');
    expect(span.attributes).toMatchObject({
      [MessagingAttr.system]: 'kafka',
      [MessagingAttr.destinationName]: 'events.booking',
      [MessagingAttr.consumerGroup]: 'g',
      [MessagingAttr.partition]: '3',
      [MessagingAttr.offset]: 42,
      [MessagingAttr.messageKey]: 'b-1',
      [MessagingAttr.messageId]: 'e-1',
      [MessagingAttr.operationType]: 'process',
      [OutstreamSpan.eventType]: 'booking.created',
      [OutstreamSpan.outcome]: 'processed',
      [OutstreamSpan.attempts]: 1,
    });
    // What the handler emits carries the handler span's context: the trace goes on.
    expect(inHandler?.traceparent).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
  });

  it('shows each retry as an exception and a retry event, and succeeds unmarked', async () => {
    let calls = 0;
    const p = processor({
      'booking.created': async () => {
        if (++calls < 3) throw new Error(`flaky ${calls}`);
      },
    });
    expect(await p.process(withTrace({ traceparent }), signals())).toBe('processed');
    const span = only();
    expect(span.events.map((e) => e.name)).toEqual([
      'exception',
      OutstreamSpan.retryEvent,
      'exception',
      OutstreamSpan.retryEvent,
    ]);
    expect(span.events[0]!.attributes?.['exception.message']).toBe('flaky 1');
    expect(span.events[3]!.attributes?.attempt).toBe(2);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[OutstreamSpan.attempts]).toBe(3);
  });

  it('marks a dead letter: status ERROR with the reason, the topic and the attempts', async () => {
    const p = processor({
      'booking.created': async () => {
        throw new Error('always');
      },
    });
    expect(await p.process(withTrace({ traceparent }), signals())).toBe('dead-lettered');
    const span = only();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'dead-lettered: retries-exhausted' });
    const dead = span.events.find((e) => e.name === OutstreamSpan.deadLetteredEvent);
    expect(dead?.attributes).toEqual({
      'outstream.dead_letter.reason': 'retries-exhausted',
      'outstream.dead_letter.topic': 'dlq.g.events.booking',
      [OutstreamSpan.attempts]: 3,
    });
    expect(span.attributes[OutstreamSpan.outcome]).toBe('dead-lettered');
  });

  it('names the dead-letter topic a replayed record comes from, in the original trace', async () => {
    const p = processor({ 'booking.created': async () => {} }, 'unused', 'dlq.g.events.booking');
    await p.process(withTrace({ traceparent }), signals());
    const span = only();
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.attributes[OutstreamSpan.replayedFrom]).toBe('dlq.g.events.booking');
  });

  it.each([
    ['no traceparent', {}],
    ['a malformed traceparent', { traceparent: `00-${traceId}-zz-01` }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${emitSpanId}-01` }],
    [
      'a huge traceparent and tracestate',
      { traceparent: 'x'.repeat(100_000), tracestate: 'y'.repeat(100_000) },
    ],
  ])('starts a new trace for a record with %s, and handles it', async (_what, headers) => {
    const p = processor({ 'booking.created': async () => {} });
    expect(await p.process(withTrace(headers), signals())).toBe('processed');
    const span = only();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(traceId);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
  });

  it('creates no span for a record no handler is for', async () => {
    const p = processor({ 'booking.confirmed': async () => {} });
    expect(await p.process(withTrace({ traceparent }), signals())).toBe('skipped');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
