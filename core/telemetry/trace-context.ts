import {
  type Context,
  context,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** W3C trace context as the envelope carries it (outbox columns → Kafka headers). */
export interface TraceContext {
  /** `version-traceid-parentid-flags`, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. */
  traceparent: string;
  tracestate?: string;
}

// The envelope's columns are W3C trace context whatever propagator a service registered
// (B3, Jaeger…): this one reads and writes them, the global one never does.
const w3c = new W3CTraceContextPropagator();

/**
 * Longest header accepted. A version-00 traceparent is 55 characters (later versions may add
 * fields); W3C caps tracestate at 512 and asks parsers to drop the rest, and the propagator
 * splits the whole string on commas before it drops anything: a hostile megabyte would cost a
 * megabyte of work per record, so longer values are ignored before parsing.
 */
export const traceHeaderLimits = { traceparent: 512, tracestate: 8192 } as const;

const getter: TextMapGetter<Partial<TraceContext>> = {
  get: (carrier, key) =>
    key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined,
  keys: () => ['traceparent', 'tracestate'],
};
const setter: TextMapSetter<Partial<TraceContext>> = {
  set: (carrier, key, value) => {
    if (key === 'traceparent' || key === 'tracestate') carrier[key] = value;
  },
};

/**
 * The remote span context a `traceparent` (and `tracestate`) names, or undefined when there is
 * none or it is malformed: wrong length or case, an all-zero id, version `ff`, a non-string,
 * an oversized header. Never throws: a producer's bad header must not stop a consumer.
 *
 * @example
 * parseTraceContext('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId
 * // '4bf92f3577b34da6a3ce929d0e0e4736'
 */
export function parseTraceContext(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string' || traceparent.length > traceHeaderLimits.traceparent) return undefined;
  const carrier: Partial<TraceContext> = { traceparent };
  if (typeof tracestate === 'string' && tracestate.length <= traceHeaderLimits.tracestate) {
    carrier.tracestate = tracestate;
  }
  const sc = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, carrier, getter));
  return sc !== undefined && isSpanContextValid(sc) ? sc : undefined;
}

/** The OpenTelemetry context whose parent is the given trace context (ROOT when it is absent or malformed). */
export function contextFromTrace(traceparent: unknown, tracestate?: unknown): Context {
  const sc = parseTraceContext(traceparent, tracestate);
  return sc === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, sc);
}

/** The W3C headers of a span context; undefined for an invalid one. */
export function formatTraceContext(spanContext: SpanContext): TraceContext | undefined {
  const carrier: Partial<TraceContext> = {};
  w3c.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, setter);
  if (carrier.traceparent === undefined) return undefined;
  return carrier.tracestate
    ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
    : { traceparent: carrier.traceparent };
}

/**
 * The caller's active span as W3C trace context, or undefined when no span is active (also
 * whenever no OpenTelemetry SDK is registered: the API's no-op context holds none).
 */
export function activeTraceContext(): TraceContext | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc === undefined ? undefined : formatTraceContext(sc);
}

// The API's global provider is a proxy; until an SDK registers, it delegates to the API's
// no-op provider, which a fresh proxy returns too.
const noopTracerProvider = new ProxyTracerProvider().getDelegate();

/**
 * True while no OpenTelemetry SDK is registered globally: every span would be a no-op, so a
 * hot path (the consumer framework, per record) skips parsing trace headers and building
 * attributes. Cheap enough to ask per record, so an SDK registered later is seen at once.
 */
export function globalTracingOff(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === noopTracerProvider;
}

/** The 32-hex trace id of a traceparent, or null when it is absent or malformed. */
export function traceIdOf(traceparent: unknown): string | null {
  return parseTraceContext(traceparent)?.traceId ?? null;
}
