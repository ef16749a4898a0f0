import { kafkaNodeCounts, replicationOf } from '../../core/stack-profile.ts';
import { gatewayDefaults } from '../../realtime/server/options.ts';
import { aggregateTypes, isEphemeralAggregate } from '../../schemas/catalogue.ts';
import { eventsTopicDefaults } from '../topics/topics.ts';
import { type CapacityCosts, type Figure, Provenance, type TxCost } from './costs.ts';

// Every default figure of the capacity model, with where it comes from. Measured figures name
// the command and the date; configured ones are read from the code that sets them, so they
// cannot drift from it. Figures waiting for a measurement carry `pending` (the command).

const fanoutSweep =
  'npm run bench:sse -- --fanout-sweep 500,2000,4000 --rate 100 --channels 10 --seconds 10 (2026-11-30 16:58 UTC, this machine, nothing else running)';
const captureSweep = 'npm run bench:groups -- --capture-sweep 200,400,800,1600,3200 --batch 10 --seconds 10';
const groupsThroughput =
  'npm run bench:groups, throughput phase (30,000 events, 100 per transaction, the three groups, one ' +
  'broker, replication 1), 2026-11-30 12:19 UTC, this machine; taken before three CPU cuts (one round ' +
  'trip per emit(), Redis auto-pipelining, no per-record tracing work), so a little high';
const emitAB =
  'emit() A/B, one process, 1 connection, BEGIN/outbox_write()/COMMIT, medians of 6 rounds, machine at ' +
  'load ~14 (commit 7eee130, 2026-11-30 12:37 UTC)';

const fig = (value: number, provenance: Provenance, source: string, pending?: string): Figure =>
  pending === undefined ? { value, provenance, source } : { value, provenance, source, pending };

/**
 * A per-event and a per-transaction part through two measurements, at 1 and at 100 events per
 * transaction: cost(n) = perEvent + perTransaction / n.
 */
function throughTwoPoints(atOne: number, atHundred: number, how: string): TxCost {
  const perTx = (atOne - atHundred) / (1 - 1 / 100);
  const source = `cost(n) = a + b/n through ${atOne} at 1 event/tx and ${atHundred} at 100 (${how})`;
  return {
    perKEvents: fig(atHundred - perTx / 100, Provenance.extrapolated, source),
    perKTransactions: fig(perTx, Provenance.extrapolated, source),
  };
}

const eventTopics = aggregateTypes.filter((a) => !isEphemeralAggregate(a)).length;
const clusterReplication = replicationOf(Math.max(...kafkaNodeCounts));

/** The capacity model's defaults: this machine's measurements, and the rules it plans by. */
export const measuredCosts: CapacityCosts = {
  postgres: throughTwoPoints(
    0.96,
    0.23,
    `the backend's 0.96 ms per transaction: ${emitAB}; 0.23: ${groupsThroughput}. The 0.23 includes ` +
      "the groups' own tables, which the 1/tx point does not",
  ),
  emitters: throughTwoPoints(
    0.67,
    0.07,
    `the emitter's 0.67 ms per transaction: ${emitAB}; 0.07: the load generator in ${groupsThroughput}`,
  ),
  connect: {
    perKEvents: fig(0.14, Provenance.measuredHere, groupsThroughput),
    perKTransactions: fig(
      0,
      Provenance.assumed,
      'none: the stack alone at 1 event/tx (2.30 core-s per 1,000 events, bench:groups capture floor, ' +
        '2026-11-30 14:31 UTC) leaves ~0.67 for Connect, Kafka and three bare readers once PostgreSQL ' +
        "and the emitter's 1/tx costs are taken out, which Connect's 0.14 and Kafka's 0.09 at 100/tx " +
        'plus three readers at a group-like ~0.15 each already fill',
    ),
  },
  kafka: {
    writePerKEvents: fig(
      0.0225,
      Provenance.extrapolated,
      `one quarter of the broker's 0.09 in ${groupsThroughput}: one append and three group reads, ` +
        'taken to cost the same (an assumption: plaintext reads use sendfile and may cost less)',
    ),
    readPerKEvents: fig(0.0225, Provenance.extrapolated, 'as kafka.writePerKEvents'),
    replicationFactor: fig(
      clusterReplication.factor,
      Provenance.configured,
      `the cluster profile (npm run stack:up -- --brokers 3): replication ${clusterReplication.factor}, ` +
        `min.insync.replicas ${clusterReplication.minInsync}`,
    ),
    eventBytes: fig(
      600,
      Provenance.extrapolated,
      "the catalogue's sample payloads encode to 51–296 bytes (+5 of framing); a 36-byte key; nine " +
        'envelope headers, names and values, ~300 bytes; record and batch overhead; no compression',
    ),
    networkBytesPerS: fig(1.25e9, Provenance.assumed, 'a 10 Gbit/s network interface per broker'),
    retentionMs: fig(
      eventsTopicDefaults.retentionMs,
      Provenance.configured,
      'eventsTopicDefaults.retentionMs (infra/topics/topics.ts): 7 days of history for resumes and rebuilds',
    ),
    diskBytesPerBroker: fig(4e12, Provenance.assumed, '4 TB of usable log disk per broker'),
    maxReplicasPerBroker: fig(
      4_000,
      Provenance.assumed,
      'the long-standing guideline quoted by KIP-578: at most 4,000 partitions per broker, 200,000 per cluster',
    ),
  },
  groups: {
    notifications: fig(0.14, Provenance.measuredHere, groupsThroughput),
    'cache-invalidation': fig(0.12, Provenance.measuredHere, groupsThroughput),
    analytics: fig(0.16, Provenance.measuredHere, groupsThroughput),
  },
  capture: {
    taskCores: fig(
      1,
      Provenance.assumed,
      "Debezium's PostgreSQL connector runs one task whatever tasks.max says; it reads the slot and " +
        'converts records on one thread',
    ),
    keptUpWithEventsPerS: fig(
      1_579,
      Provenance.measuredHere,
      `${captureSweep}, 2026-11-30, quiet machine: every rate met up to 1,579 events/s (3,200 asked gave ` +
        "1,499, the commit side's limit); the task's ceiling lies above and was not reached",
    ),
  },
  gateway: {
    cores: fig(1, Provenance.assumed, 'one Node.js process: its main thread reads, routes and writes'),
    intakePerKEvents: fig(
      0.04,
      Provenance.extrapolated,
      'not separable by the sweep: at one --rate its per-step intercept (2.2 core-s per 1,000 events through ' +
        "500 and 2,000 streams) is the gateway's idle work over the step's wall time (heartbeats, fetch " +
        'polls, presence), not intake. Taken from the groups (0.12–0.16 here with their handlers) and a ' +
        'no-op consumer (14–17 µs per event on the earlier machine, bench:consumer): reading, decoding and ' +
        'routing ~40 µs per event',
    ),
    perMDeliveries: fig(
      21,
      Provenance.measuredHere,
      `${fanoutSweep}: one node, 100 events/s over 10 channels; core-s per 1M deliveries over each whole step ` +
        '(connecting the streams, heartbeats and idle included, so an upper bound): 65.3 at 5,004 ' +
        'deliveries/s, 32.3 at 20,006, 21.0 at 40,016; the marginal cost between the last two is 9.8. ' +
        'Commit → client p99 437 ms, 902 ms, 2,269 ms (nothing lost or repeated): past ~20,000 deliveries/s ' +
        'the node queues. No ceilingDeliveriesPerS is set: the CPU bound (one core ÷ headroom ÷ 21 µs ≈ ' +
        '31,700/s) sits between the last two steps, where the sweep saw latency grow',
    ),
    bytesPerConnection: fig(
      20.2 * 1024,
      Provenance.measuredEarlier,
      'npm run bench:sse: 15,000 streams held by one gateway, 20.2 KB RSS each (sessions 1–2, before the ' +
        'Kafka port, not re-run at that size; 28.4 KB at 1,000 streams)',
    ),
    bytesPerChannel: fig(200, Provenance.assumed, "a channel's index entry and its share of the position"),
    memoryBytes: fig(2 ** 30, Provenance.assumed, 'one GiB of a node process for its streams'),
    maxConnections: fig(
      gatewayDefaults.maxConnections,
      Provenance.configured,
      'SSE_MAX_CONNECTIONS default (realtime/server/options.ts); a node answers 503 full beyond it',
    ),
    heartbeatMs: fig(
      gatewayDefaults.heartbeatMs,
      Provenance.configured,
      'SSE_HEARTBEAT_MS default (realtime/server/options.ts): one write per stream per heartbeat',
    ),
    routesPerEvent: fig(
      2,
      Provenance.assumed,
      'booking.* reach booking:{id} and hotel:{id} (realtime/channels.ts); other types one or two',
    ),
  },
  topology: {
    eventTopics: fig(
      eventTopics,
      Provenance.configured,
      'one events.<aggregate> topic per outbox aggregate of schemas/catalogue.ts',
    ),
    partitionsPerTopic: fig(
      eventsTopicDefaults.partitions,
      Provenance.configured,
      'eventsTopicDefaults.partitions (infra/topics/topics.ts)',
    ),
    partitionsPerMember: fig(
      2,
      Provenance.assumed,
      "room to double a group's members without adding partitions to keyed topics (which moves keys)",
    ),
    memberCores: fig(1, Provenance.assumed, 'one Node.js process per member: one main thread'),
  },
  machine: {
    cores: fig(8, Provenance.assumed, 'an 8-core machine for PostgreSQL, Connect and each broker'),
    headroom: fig(
      1.5,
      Provenance.assumed,
      'every part planned at two thirds of what it can do: one lost process in three fits on the rest',
    ),
    minPerRole: fig(2, Provenance.assumed, 'two of every process, so that one can fail'),
  },
};

/** The command that fills the gateway's pending figures, for messages. */
export const fanoutSweepCommand = fanoutSweep;
/** The command that measures the Debezium task's ceiling, for messages. */
export const captureSweepCommand = captureSweep;
