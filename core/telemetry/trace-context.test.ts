import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from './sdk.ts';
import {
  activeTraceContext,
  formatTraceContext,
  globalTracingOff,
  parseTraceContext,
  traceHeaderLimits,
  traceIdOf,
} from './trace-context.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const valid = `00-${traceId}-${spanId}-01`;

describe('parseTraceContext', () => {
  it('reads a W3C traceparent and its tracestate as a remote span context', () => {
    const sc = parseTraceContext(valid, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(sc).toMatchObject({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(sc?.traceState?.get('rojo')).toBe('00f067aa0ba902b7');
  });

  it('formats a span context back into the same headers', () => {
    const sc = parseTraceContext(valid, 'congo=t61rcWkgMzE');
    expect(formatTraceContext(sc!)).toEqual({ traceparent: valid, tracestate: 'congo=t61rcWkgMzE' });
    expect(formatTraceContext(parseTraceContext(`00-${traceId}-${spanId}-00`)!)).toEqual({
      traceparent: `00-${traceId}-${spanId}-00`,
    });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['upper case', valid.toUpperCase()],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${spanId}-01`],
    ['an all-zero span id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['the forbidden version ff', `ff-${traceId}-${spanId}-01`],
    ['a short trace id', `00-${traceId.slice(1)}-${spanId}-01`],
    ['a version-00 header with an extra field', `${valid}-extra`],
    ['a header with a line break inside', `00-${traceId}\n-${spanId}-01`],
    ['non-hex characters', `00-${'g'.repeat(32)}-${spanId}-01`],
    ['an oversized header', `01-${traceId}-${spanId}-01-${'a'.repeat(traceHeaderLimits.traceparent)}`],
    ['a number', 42],
    ['an object', { traceparent: valid }],
    ['a Buffer', Buffer.from(valid)],
    ['null', null],
  ])('ignores a traceparent that is %s (no span context, no exception)', (_what, header) => {
    expect(parseTraceContext(header)).toBeUndefined();
    expect(traceIdOf(header)).toBeNull();
  });

  it('keeps the traceparent but drops an oversized or non-text tracestate', () => {
    const huge = `k=${'v'.repeat(1_000_000)}`;
    const started = performance.now();
    expect(parseTraceContext(valid, huge)?.traceState).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(parseTraceContext(valid, 42)).toMatchObject({ traceId });
  });

  it('drops malformed tracestate members and keeps the well-formed ones', () => {
    const sc = parseTraceContext(valid, 'ok=1,=bad,BAD KEY=2,also=3');
    expect(sc?.traceState?.serialize()).toBe('ok=1,also=3');
  });

  it('gives the trace id of a valid traceparent', () => {
    expect(traceIdOf(valid)).toBe(traceId);
  });
});

describe('activeTraceContext', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('is undefined with no SDK registered, even inside startActiveSpan', () => {
    const inside = trace.getTracer('t').startActiveSpan('s', (span) => {
      span.end();
      return activeTraceContext();
    });
    expect(inside).toBeUndefined();
  });

  it("is the caller's active span with an SDK, across awaits, and nothing outside it", async () => {
    const exporter = new InMemorySpanExporter();
    tracing = startTracing({ serviceName: 'test', exporter, processor: 'simple' });
    const tracer = trace.getTracer('t');
    const [seen, sc] = await tracer.startActiveSpan('caller', async (span) => {
      await new Promise((r) => setTimeout(r, 1));
      const ctx = activeTraceContext();
      span.end();
      return [ctx, span.spanContext()] as const;
    });
    expect(seen).toEqual({ traceparent: `00-${sc.traceId}-${sc.spanId}-01` });
    expect(activeTraceContext()).toBeUndefined();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['caller']);
  });
});

describe('globalTracingOff', () => {
  it('is true until an SDK registers, false while one is registered, true again after its shutdown', async () => {
    expect(globalTracingOff()).toBe(true);
    const tracing = startTracing({
      serviceName: 'test',
      exporter: new InMemorySpanExporter(),
      processor: 'simple',
    });
    try {
      expect(globalTracingOff()).toBe(false);
    } finally {
      await tracing.shutdown();
    }
    expect(globalTracingOff()).toBe(true);
  });
});
