// Consumer throughput. Baseline: what a hand-written consumer does with the port — a group
// consumer's raw poll loop with the same decoder, one record at a time per partition, the
// partitions in parallel. Then the framework with a no-op handler, and a 5 ms async handler
// with key parallelism against the baseline (parallel across partitions only) and against the
// framework forced sequential (inFlight 1).
// Events are produced straight to a bench topic (framed Avro, envelope headers), so the
// figures are the consumer's, not Debezium's.
// Usage: npm run bench:consumer [-- --events 20000 --keys 128 --slow-events 3000 --sequential-events 300]
// Prints figures; asserts nothing. Needs the stack (npm start).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import {
  createTopic,
  deleteTopics,
  eventMessage,
  produce,
} from '../consumers/framework/test-fixtures/kafka.ts';
import { createEventDecoder, defineConsumer } from '../consumers/index.ts';
import { parseCli } from '../core/cli.ts';
import { loadConfig } from '../core/config.ts';
import { createKafka, type KafkaClient } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { waitFor } from '../core/wait.ts';
import { createSchemaIds } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';

const usage = `usage: npm run bench:consumer [-- --events 20000 --keys 128 --slow-events 3000 --sequential-events 300]`;
const { values } = parseCli(
  {
    options: {
      events: { type: 'string', default: '20000' },
      keys: { type: 'string', default: '128' },
      'slow-events': { type: 'string', default: '3000' },
      'sequential-events': { type: 'string', default: '300' },
      'in-flight': { type: 'string', default: '64' },
      partitions: { type: 'string', default: '12' },
    },
  },
  usage,
);
const events = Number(values.events);
const keys = Number(values.keys);
const slowEvents = Number(values['slow-events']);
const sequentialEvents = Number(values['sequential-events']);
const inFlight = Number(values['in-flight']);
const partitions = Number(values.partitions);

const config = loadConfig(process.env);
const kafka: KafkaClient = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const run = randomUUID().slice(0, 8);
const topics: string[] = [];

/** A bench topic holding `n` booking.created events over `keys` aggregates, in order per key. */
async function benchTopic(name: string, n: number): Promise<string> {
  const topic = `bench.consumer.${name}.${run}`;
  topics.push(topic);
  await createTopic(kafka, topic, partitions);
  const id = await createSchemaIds(registry).idFor('booking.created');
  const ids = Array.from({ length: keys }, () => randomUUID());
  const seqs = new Map<string, number>();
  const messages = Array.from({ length: n }, (_, i) => {
    const key = ids[i % keys]!;
    const seq = (seqs.get(key) ?? 0) + 1;
    seqs.set(key, seq);
    return eventMessage('booking.created', key, seq, { ...samples['booking.created'], bookingId: key }, id);
  });
  await produce(kafka, topic, messages);
  return topic;
}

/** Consumes `n` events with the framework; returns events/s from the first handler start to the last end. */
async function framework(
  topic: string,
  n: number,
  handler: () => Promise<void>,
  limit: number,
): Promise<number> {
  let handled = 0;
  let first = 0;
  let last = 0;
  const consumer = defineConsumer({
    group: `bench-${randomUUID().slice(0, 8)}`,
    kafka,
    registry,
    logger: pino({ level: 'warn' }),
    fromBeginning: true,
    inFlight: limit,
    topicNames: { 'events.booking': topic },
    handlers: {
      'booking.created': async () => {
        first ||= performance.now();
        await handler();
        handled++;
        last = performance.now();
      },
    },
  });
  await consumer.start();
  await waitFor(() => handled >= n, { timeoutMs: 600_000, intervalMs: 20, what: `${n} events` });
  await consumer.stop();
  return ((n - 1) / (last - first)) * 1000;
}

/**
 * The baseline: the port's group consumer read by hand — poll, decode, handle one record at a
 * time per partition with the partitions in parallel, commit nothing.
 */
async function portRaw(topic: string, n: number, handler: () => Promise<void>): Promise<number> {
  let handled = 0;
  let first = 0;
  let last = 0;
  const decoder = createEventDecoder(registry);
  const chains = new Map<number, Promise<void>>();
  const consumer = kafka.groupConsumer({
    groupId: `bench-plain-${randomUUID().slice(0, 8)}`,
    topics: [topic],
    listener: {
      async assigned(ps) {
        for (const p of ps) consumer.seek({ ...p, offset: 0n });
      },
      async revoked() {},
      lost() {},
    },
  });
  await consumer.start();
  while (handled < n) {
    for (const batch of await consumer.poll()) {
      const previous = chains.get(batch.partition) ?? Promise.resolve();
      chains.set(
        batch.partition,
        previous.then(async () => {
          for (const record of batch.records) {
            first ||= performance.now();
            await decoder.decode(record);
            await handler();
            handled++;
            last = performance.now();
          }
        }),
      );
    }
    // Backpressure as a hand-written loop would have it: at most one batch queued per partition.
    if (chains.size >= partitions) await Promise.race(chains.values());
  }
  await Promise.all(chains.values());
  await consumer.close();
  return ((n - 1) / (last - first)) * 1000;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(8);
try {
  console.log(`consumer benchmark: ${partitions} partitions, ${keys} keys, inFlight ${inFlight}`);
  const fast = await benchTopic('noop', events);
  const baseline = await portRaw(fast, events, async () => {});
  console.log(
    `  no-op handler, the port's raw read + decode (baseline)  ${fmt(baseline)} msg/s  (${events} events)`,
  );
  const noop = await framework(fast, events, async () => {}, inFlight);
  console.log(
    `  no-op handler, framework                               ${fmt(noop)} msg/s  (${(noop / baseline).toFixed(2)}× baseline; target ≥ 0.8×)`,
  );
  const slow = await benchTopic('slow', Math.max(slowEvents, sequentialEvents));
  const parallel = await framework(slow, slowEvents, () => sleep(5), inFlight);
  console.log(
    `  5 ms handler, framework, inFlight ${String(inFlight).padEnd(4)}                 ${fmt(parallel)} msg/s  (${slowEvents} events)`,
  );
  const partitionParallel = await portRaw(slow, Math.min(slowEvents, 1000), () => sleep(5));
  console.log(
    `  5 ms handler, raw port read, ${String(partitions).padEnd(2)} partitions at once     ${fmt(partitionParallel)} msg/s  (${Math.min(slowEvents, 1000)} events)`,
  );
  const sequential = await framework(slow, sequentialEvents, () => sleep(5), 1);
  console.log(
    `  5 ms handler, framework, inFlight 1 (sequential)       ${fmt(sequential)} msg/s  (${sequentialEvents} events)`,
  );
  console.log(
    `  key parallelism vs sequential: ${(parallel / sequential).toFixed(1)}× (target ≥ 50×); vs partition parallelism: ${(parallel / partitionParallel).toFixed(1)}×`,
  );
} finally {
  await deleteTopics(kafka, topics);
}
