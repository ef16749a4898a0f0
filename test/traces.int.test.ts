import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { EventSource } from 'eventsource';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analytics } from '../consumers/analytics/definition.ts';
import { cacheInvalidation } from '../consumers/cache-invalidation/definition.ts';
import { MessagingAttr } from '../consumers/framework/tracing.ts';
import { notifications } from '../consumers/notifications/definition.ts';
import { loadConfig } from '../core/config.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { startTracing, type Tracing } from '../core/telemetry/sdk.ts';
import { waitFor } from '../core/wait.ts';
import { createEmitter, createSchemaIds } from '../producers/index.ts';
import { type AnyStreamEvent, createStreamClient, type StreamClient } from '../realtime/client/index.ts';
import { mintToken } from '../realtime/server/auth.ts';
import { type Gateway, startGateway } from '../realtime/server/gateway.ts';
import { samples } from '../schemas/index.ts';
import { withTx } from './db.ts';
import { startTestGroup, type TestGroup } from './groups.ts';
import { openSse, type SseReader } from './sse-reader.ts';

// One event emitted inside a span, through the real pipeline: emit → outbox → Debezium → Kafka
// → the three groups' handlers (in this process, their spans read from an in-memory exporter)
// and the SSE gateway (its event's traceId read by an HTTP client).

const config = loadConfig(process.env);
const exporter = new InMemorySpanExporter();
const secret = 'test-secret-for-the-traces-suite';
const emitter = createEmitter({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
let tracing: Tracing;
let pool: pg.Pool;
let gateway: Gateway;
let sse: SseReader | undefined;
let client: StreamClient | undefined;
const groups: TestGroup[] = [];

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'traces-test', exporter, processor: 'simple' });
  pool = new pg.Pool({ connectionString: config.database.url });
  gateway = await startGateway({
    port: 0,
    kafka: config.kafka,
    registryUrl: config.registry.url,
    auth: { secret },
    heartbeatMs: 1_000,
  });
  for (const def of [notifications, cacheInvalidation, analytics]) groups.push(await startTestGroup(def));
});
afterAll(async () => {
  sse?.close();
  client?.close();
  await Promise.allSettled(groups.map((g) => g.stop()));
  await gateway?.close();
  await pool?.end();
  await tracing?.shutdown();
});

describe('a trace from emit to the handlers and the browser', () => {
  it("puts every group's handler span in the emitter's trace, and its trace id on the SSE event", async () => {
    const bookingId = randomUUID();
    const token = await mintToken({ secret, subject: 'guest', patterns: [`booking:${bookingId}`] });
    sse = await openSse(
      `http://127.0.0.1:${gateway.port}/v1/stream?channels=booking:${bookingId}&token=${token}`,
    );
    expect(sse.status).toBe(200);
    await sse.until((frames) => frames.some((f) => f.event === 'checkpoint'), 'the stream to start');
    // The typed client on the stock `eventsource` package: what a browser page runs.
    const received: AnyStreamEvent[] = [];
    client = createStreamClient({
      url: `http://127.0.0.1:${gateway.port}`,
      channels: [`booking:${bookingId}`],
      token,
      EventSource,
    });
    client.onAny((e) => received.push(e));
    await waitFor(() => client!.lastEventId, { timeoutMs: 30_000, what: 'the typed client to open' });

    // A service's request span: emit() takes it as the event's trace context.
    const tracer = trace.getTracer('traces-test');
    const { request, emitted } = await tracer.startActiveSpan('POST /bookings/:id/confirm', async (span) => {
      try {
        const emitted = await withTx(pool, (tx) =>
          emitter.emit(tx, {
            type: 'booking.confirmed',
            aggregateId: bookingId,
            payload: {
              ...samples['booking.confirmed'],
              bookingId,
              hotelId: `t-${bookingId.slice(0, 8)}`,
              guest: { name: 'Ada Lovelace', email: `ada-${bookingId.slice(0, 8)}@example.test` },
            },
          }),
        );
        return { request: span.spanContext(), emitted };
      } finally {
        span.end();
      }
    });

    const handlerSpans = () =>
      exporter.getFinishedSpans().filter((s) => s.attributes[MessagingAttr.messageId] === emitted.eventId);
    await waitFor(
      () =>
        groups.every((g) =>
          handlerSpans().some((s) => s.attributes[MessagingAttr.consumerGroup] === g.group),
        ),
      { timeoutMs: 90_000, what: "each group's handler span of the event" },
    );
    for (const g of groups) {
      const span = handlerSpans().find((s) => s.attributes[MessagingAttr.consumerGroup] === g.group)!;
      expect(span.spanContext().traceId, g.group).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId, g.group).toBe(request.spanId);
      expect(span.attributes, g.group).toMatchObject({
        [MessagingAttr.system]: 'kafka',
        [MessagingAttr.destinationName]: 'events.booking',
        [MessagingAttr.messageKey]: bookingId,
        'outstream.outcome': 'processed',
      });
    }

    await sse.until(
      () => sse!.events().some((e) => e.data.id === emitted.eventId),
      'the event on the booking channel',
      60_000,
    );
    const delivered = sse.events().find((e) => e.data.id === emitted.eventId)!;
    expect(delivered.data.traceId).toBe(request.traceId);
    await waitFor(() => received.some((e) => e.id === emitted.eventId), {
      timeoutMs: 30_000,
      what: 'the event at the typed client',
    });
    expect(received.find((e) => e.id === emitted.eventId)!.traceId).toBe(request.traceId);
  });
});
