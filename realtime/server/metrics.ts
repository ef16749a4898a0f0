import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on a registry of its own (several gateways can run in one
 * process, e.g. in tests), served at `GET /metrics`.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'outstream_sse_' });
  const registers = [registry];
  return {
    registry,
    connections: new Gauge({ name: 'outstream_sse_connections', help: 'Open SSE streams', registers }),
    eventsSent: new Counter({
      name: 'outstream_sse_events_sent_total',
      help: 'Events written to streams',
      registers,
    }),
    resumes: new Counter({
      name: 'outstream_sse_resumes_total',
      help: 'Streams opened with a resume token, by where the gap was read from',
      labelNames: ['source'] as const,
      registers,
    }),
    catchUps: new Counter({
      name: 'outstream_sse_catch_ups_total',
      help: 'Lagging streams caught up once their socket drained, by where the gap was read from',
      labelNames: ['source'] as const,
      registers,
    }),
    gapRecordsRead: new Counter({
      name: 'outstream_sse_gap_records_read_total',
      help: 'Records read from Kafka for resume gaps',
      registers,
    }),
    duplicatesDropped: new Counter({
      name: 'outstream_sse_duplicates_dropped_total',
      help: 'Records repeating an aggregate sequence (Debezium is at least once), dropped: live, held during a resume, or in a gap',
      labelNames: ['source'] as const,
      registers,
    }),
    replayedEvents: new Counter({
      name: 'outstream_sse_replayed_events_total',
      help: 'Events sent from resume gaps',
      registers,
    }),
    resets: new Counter({
      name: 'outstream_sse_resets_total',
      help: 'reset events sent (the gap could not be served), by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    disconnects: new Counter({
      name: 'outstream_sse_disconnects_total',
      help: 'Streams ended by the gateway, by reason (slow-client, draining, token-expired, max-lifetime, overloaded)',
      labelNames: ['reason'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'outstream_sse_rejected_total',
      help: 'Stream requests refused, by HTTP status',
      labelNames: ['status'] as const,
      registers,
    }),
    commitToSend: new Histogram({
      name: 'outstream_sse_commit_to_send_seconds',
      help: 'Kafka record timestamp (commit, via Connect) to the write on the live streams',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

/** The metrics {@link createMetrics} returns. */
export type GatewayMetrics = ReturnType<typeof createMetrics>;
