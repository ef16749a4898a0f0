import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { headerText, type KafkaRecord } from '../../core/kafka/index.ts';
import { contextFromTrace } from '../../core/telemetry/index.ts';

/**
 * Attribute names of the OpenTelemetry messaging semantic conventions (v1.27+, Kafka). Copied
 * here rather than imported: they live in `@opentelemetry/semantic-conventions/incubating`,
 * whose maintainers ask instrumentation not to import it at run time (it may break in a minor
 * release).
 */
export const MessagingAttr = {
  system: 'messaging.system',
  destinationName: 'messaging.destination.name',
  consumerGroup: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  messageKey: 'messaging.kafka.message.key',
  messageId: 'messaging.message.id',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
} as const;

/** Outstream's own span attributes and event names. */
export const OutstreamSpan = {
  eventType: 'outstream.event.type',
  /** `ack`, `skip`, `dead-lettered` or `abandoned`. */
  outcome: 'outstream.outcome',
  attempts: 'outstream.attempts',
  /** The dead-letter topic a replayed event was read from. */
  replayedFrom: 'outstream.replay.dead_letter_topic',
  retryEvent: 'outstream.retry',
  deadLetteredEvent: 'outstream.dead_lettered',
} as const;

/** The tracer of the consumer framework (the global one: a no-op until an SDK is registered). */
export function consumerTracer(): Tracer {
  return trace.getTracer('outstream.consumers');
}

/** The span of every record while tracing is off: non-recording, shared, free to end. */
export const untracedSpan: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Starts the `process <topic>` span of one record, as a **child** of the trace context the
 * emitter put in the record's `traceparent`/`tracestate` headers (a new trace when there is
 * none or it is malformed). Child, not link: each record is handled on its own, which is the
 * case the messaging conventions give the creation context as parent for, and it puts every
 * group's handler span in the emitter's trace.
 */
export function startProcessSpan(
  tracer: Tracer,
  group: string,
  record: KafkaRecord,
  replayedFrom: string | undefined,
): Span {
  const parent = contextFromTrace(
    headerText(record.headers, envelopeHeaders.traceparent),
    headerText(record.headers, envelopeHeaders.tracestate),
  );
  const attributes: Attributes = {
    [MessagingAttr.system]: 'kafka',
    [MessagingAttr.destinationName]: record.topic,
    [MessagingAttr.consumerGroup]: group,
    [MessagingAttr.partition]: String(record.partition),
    [MessagingAttr.offset]: Number(record.offset),
    [MessagingAttr.operationType]: 'process',
    [MessagingAttr.operationName]: 'process',
  };
  const span = tracer.startSpan(`process ${record.topic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  // Only a recording span is worth the key's text and the header lookups.
  if (span.isRecording()) {
    if (record.key) span.setAttribute(MessagingAttr.messageKey, record.key.toString());
    const id = headerText(record.headers, envelopeHeaders.eventId);
    if (id !== undefined) span.setAttribute(MessagingAttr.messageId, id);
    const type = headerText(record.headers, envelopeHeaders.eventType);
    if (type !== undefined) span.setAttribute(OutstreamSpan.eventType, type);
    if (replayedFrom !== undefined) span.setAttribute(OutstreamSpan.replayedFrom, replayedFrom);
  }
  return span;
}

/** A failed attempt that will be retried: the error and the delay, as span events. */
export function recordRetry(span: Span, attempt: number, delayMs: number, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(asException(error));
  span.addEvent(OutstreamSpan.retryEvent, { attempt, 'outstream.retry.delay_ms': delayMs });
}

/** A dead letter: status ERROR naming the reason, the error, and where it went. */
export function recordDeadLetter(
  span: Span,
  f: { reason: string; error: unknown; attempts: number; deadLetterTopic: string },
): void {
  if (!span.isRecording()) return;
  span.recordException(asException(f.error));
  span.addEvent(OutstreamSpan.deadLetteredEvent, {
    'outstream.dead_letter.reason': f.reason,
    'outstream.dead_letter.topic': f.deadLetterTopic,
    [OutstreamSpan.attempts]: f.attempts,
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${f.reason}` });
}

/** Ends the span with the record's outcome. */
export function endProcessSpan(span: Span, outcome: string, attempts: number | undefined): void {
  if (span.isRecording()) {
    span.setAttribute(OutstreamSpan.outcome, outcome);
    if (attempts !== undefined) span.setAttribute(OutstreamSpan.attempts, attempts);
  }
  span.end();
}

function asException(error: unknown): Error | string {
  return error instanceof Error ? error : String(error);
}
