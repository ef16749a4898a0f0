import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** The `service.name` resource attribute, e.g. `outstream-notifications`. */
  serviceName: string;
  /** Where spans go: an OTLP/HTTP traces URL (`http://collector:4318/v1/traces`). */
  url?: string;
  /** Another exporter instead of OTLP (tests and benchmarks pass an `InMemorySpanExporter`). */
  exporter?: SpanExporter;
  /** `batch` (default: spans leave in the background) or `simple` (each span as it ends: tests). */
  processor?: 'batch' | 'simple';
  /** Spans the batch processor holds before it drops new ones (default {@link defaultMaxQueuedSpans}). */
  maxQueuedSpans?: number;
}

/**
 * The batch processor's queue. The SDK's default, 2,048, is too small for a consumer: a fetched
 * batch of fast handlers ends thousands of spans within one turn of the event loop, before the
 * exporter's timer can run, and the SDK drops what does not fit (the bench lost three spans in
 * four that way). A queued span is about a kilobyte.
 */
export const defaultMaxQueuedSpans = 16_384;

/** A registered tracing SDK. */
export interface Tracing {
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /**
   * Exports what is left, then unregisters the SDK (the API is a no-op again). Resolves even
   * when that last export fails (a collector that is down must not turn a clean stop into a
   * failed one): those spans are lost.
   */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry trace SDK globally: an AsyncLocalStorage context manager (so a
 * span started in a handler is active in everything it awaits), the W3C trace context
 * propagator, and a tracer provider exporting over OTLP/HTTP (or to `exporter`). Library code
 * only ever uses `@opentelemetry/api`, which is a no-op until this runs.
 *
 * @example
 * const tracing = startTracing({ serviceName: 'billing', url: 'http://127.0.0.1:4318/v1/traces' });
 * process.once('SIGTERM', () => tracing.shutdown());
 */
export function startTracing(o: TracingOptions): Tracing {
  const exporter = o.exporter ?? new OTLPTraceExporter(o.url === undefined ? {} : { url: o.url });
  const processor =
    o.processor === 'simple'
      ? new SimpleSpanProcessor({ exporter })
      : new BatchSpanProcessor({ exporter, maxQueueSize: o.maxQueuedSpans ?? defaultMaxQueuedSpans });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': o.serviceName }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch {
        // The final export failed (see the doc comment); unregister all the same.
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}
