import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Names of the Prometheus metrics every consumer exports (all labelled with `group`). */
export const metricNames = {
  processed: 'outstream_consumer_events_processed_total',
  skipped: 'outstream_consumer_events_skipped_total',
  retried: 'outstream_consumer_retries_total',
  deadLettered: 'outstream_consumer_dead_lettered_total',
  handlerDuration: 'outstream_consumer_handler_duration_seconds',
  commitToHandle: 'outstream_consumer_commit_to_handle_seconds',
  lag: 'outstream_consumer_lag',
  inFlight: 'outstream_consumer_in_flight',
  commits: 'outstream_consumer_commits_total',
  rebalances: 'outstream_consumer_rebalances_total',
  blockedKeys: 'outstream_consumer_blocked_keys',
  dependencyUnavailable: 'outstream_consumer_dependency_unavailable',
  dependencyWaiting: 'outstream_consumer_dependency_waiting_events',
  dependencyOutageSeconds: 'outstream_consumer_dependency_outage_seconds_total',
  stalled: 'outstream_consumer_stalled',
  coalesced: 'outstream_consumer_events_coalesced_total',
} as const;

/** The metric objects of one consumer. */
export interface ConsumerMetrics {
  processed: Counter<'group' | 'topic' | 'event_type' | 'result'>;
  skipped: Counter<'group' | 'topic' | 'event_type' | 'reason'>;
  retried: Counter<'group' | 'topic' | 'event_type'>;
  deadLettered: Counter<'group' | 'topic' | 'reason'>;
  handlerDuration: Histogram<'group' | 'event_type'>;
  commitToHandle: Histogram<'group' | 'event_type'>;
  lag: Gauge<'group' | 'topic' | 'partition'>;
  inFlight: Gauge<'group'>;
  commits: Counter<'group' | 'topic'>;
  rebalances: Counter<'group'>;
  blockedKeys: Gauge<'group'>;
  dependencyUnavailable: Gauge<'group' | 'dependency'>;
  dependencyWaiting: Gauge<'group' | 'dependency'>;
  dependencyOutageSeconds: Counter<'group' | 'dependency'>;
  stalled: Gauge<'group'>;
  coalesced: Counter<'group' | 'topic' | 'event_type'>;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Registers the consumer metrics on `registry`, or reuses them when another consumer of the
 * same process already did (share one registry between consumers: the `group` label keeps
 * them apart, and one `/metrics` serves them all).
 */
export function createConsumerMetrics(registry: Registry): ConsumerMetrics {
  function get<M>(name: string, make: () => M): M {
    return (registry.getSingleMetric(name) as M | undefined) ?? make();
  }
  const registers = [registry];
  return {
    processed: get(
      metricNames.processed,
      () =>
        new Counter({
          name: metricNames.processed,
          help: 'Events a handler finished, by result (ack or skip).',
          labelNames: ['group', 'topic', 'event_type', 'result'],
          registers,
        }),
    ),
    skipped: get(
      metricNames.skipped,
      () =>
        new Counter({
          name: metricNames.skipped,
          help: 'Events not acted on, by reason (no-handler, unknown-type, or the reason a handler gave).',
          labelNames: ['group', 'topic', 'event_type', 'reason'],
          registers,
        }),
    ),
    retried: get(
      metricNames.retried,
      () =>
        new Counter({
          name: metricNames.retried,
          help: 'Failed handler attempts that were retried.',
          labelNames: ['group', 'topic', 'event_type'],
          registers,
        }),
    ),
    deadLettered: get(
      metricNames.deadLettered,
      () =>
        new Counter({
          name: metricNames.deadLettered,
          help: 'Records sent to the dead-letter topic, by reason (poison, retries-exhausted, non-retriable, blocked).',
          labelNames: ['group', 'topic', 'reason'],
          registers,
        }),
    ),
    handlerDuration: get(
      metricNames.handlerDuration,
      () =>
        new Histogram({
          name: metricNames.handlerDuration,
          help: 'Duration of one handler attempt.',
          labelNames: ['group', 'event_type'],
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    commitToHandle: get(
      metricNames.commitToHandle,
      () =>
        new Histogram({
          name: metricNames.commitToHandle,
          help: "Time from the event's occurredAt (its producer's commit) to its handler's start.",
          labelNames: ['group', 'event_type'],
          buckets: latencyBuckets,
          registers,
        }),
    ),
    lag: get(
      metricNames.lag,
      () =>
        new Gauge({
          name: metricNames.lag,
          help: 'Records between the committed offset and the high watermark at the last fetch, per partition.',
          labelNames: ['group', 'topic', 'partition'],
          registers,
        }),
    ),
    inFlight: get(
      metricNames.inFlight,
      () =>
        new Gauge({
          name: metricNames.inFlight,
          help: 'Events being handled or waiting for a retry right now.',
          labelNames: ['group'],
          registers,
        }),
    ),
    commits: get(
      metricNames.commits,
      () =>
        new Counter({
          name: metricNames.commits,
          help: 'Offset commits (one per partition and batch, at the low watermark).',
          labelNames: ['group', 'topic'],
          registers,
        }),
    ),
    rebalances: get(
      metricNames.rebalances,
      () =>
        new Counter({
          name: metricNames.rebalances,
          help: 'Group rebalances this consumer took part in.',
          labelNames: ['group'],
          registers,
        }),
    ),
    blockedKeys: get(
      metricNames.blockedKeys,
      () =>
        new Gauge({
          name: metricNames.blockedKeys,
          help: 'Keys held back by block-key ordering, as this member last loaded or recorded them.',
          labelNames: ['group'],
          registers,
        }),
    ),
    dependencyUnavailable: get(
      metricNames.dependencyUnavailable,
      () =>
        new Gauge({
          name: metricNames.dependencyUnavailable,
          help: 'Whether events are waiting out an outage of this dependency now (1) or not (0).',
          labelNames: ['group', 'dependency'],
          registers,
        }),
    ),
    dependencyWaiting: get(
      metricNames.dependencyWaiting,
      () =>
        new Gauge({
          name: metricNames.dependencyWaiting,
          help: 'Events sleeping before their next attempt at an unavailable dependency.',
          labelNames: ['group', 'dependency'],
          registers,
        }),
    ),
    dependencyOutageSeconds: get(
      metricNames.dependencyOutageSeconds,
      () =>
        new Counter({
          name: metricNames.dependencyOutageSeconds,
          help: 'Seconds during which events waited out an outage of this dependency.',
          labelNames: ['group', 'dependency'],
          registers,
        }),
    ),
    stalled: get(
      metricNames.stalled,
      () =>
        new Gauge({
          name: metricNames.stalled,
          help: 'Whether the consumer has work (lag or events in flight) and made no progress for stallTimeoutMs (1), or not (0).',
          labelNames: ['group'],
          registers,
        }),
    ),
    coalesced: get(
      metricNames.coalesced,
      () =>
        new Counter({
          name: metricNames.coalesced,
          help: 'Events of debounced handlers folded into the run of a later event of their key (not handled on their own).',
          labelNames: ['group', 'topic', 'event_type'],
          registers,
        }),
    ),
  };
}
