// Consumer throughput. Baseline: what a hand-written consumer does with the port — a group
// consumer's raw poll loop with the same decoder, one record at a time per partition, the
// partitions in parallel. Then the framework with a no-op handler, and a 5 ms async handler
// with key parallelism against the baseline (parallel across partitions only) and against the
// framework forced sequential (inFlight 1).
// Events are produced straight to a bench topic (framed Avro, envelope headers), so the
// figures are the consumer's, not Debezium's.
// Usage: npm run bench:consumer [-- --events 20000 --keys 128 --slow-events 3000 --sequential-events 300]
//        [--profile DIR]: a CPU profile of each no-op phase in DIR (open it in Chrome DevTools).
//        [--tracing memory|otlp]: the no-op phase again with the OpenTelemetry SDK registered
//        (spans kept in memory, or sent over OTLP/HTTP to --otlp-url, by default a closed local
//        port), printed beside the untraced figure. Every bench event carries a traceparent.
// Prints figures; asserts nothing. Needs the stack (npm start).
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
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
import { startTracing } from '../core/telemetry/sdk.ts';
import { waitFor } from '../core/wait.ts';
import { createSchemaIds } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';
import { profiled } from './profile.ts';

const usage = `usage: npm run bench:consumer [-- --events 20000 --keys 128 --slow-events 3000 --sequential-events 300 --profile DIR]
       [--tracing memory|otlp [--otlp-url http://127.0.0.1:4318/v1/traces] [--tracing-rounds 3]]
  --tracing   also run the no-op phase with the OpenTelemetry SDK on (memory: an in-memory exporter;
              otlp: OTLP/HTTP to --otlp-url, default a closed local port) and print its CPU per event
              beside the untraced figure; traced and untraced runs alternate --tracing-rounds times`;
const { values } = parseCli(
  {
    options: {
      events: { type: 'string', default: '20000' },
      keys: { type: 'string', default: '128' },
      'slow-events': { type: 'string', default: '3000' },
      'sequential-events': { type: 'string', default: '300' },
      'in-flight': { type: 'string', default: '64' },
      partitions: { type: 'string', default: '12' },
      profile: { type: 'string' },
      tracing: { type: 'string' },
      'otlp-url': { type: 'string', default: 'http://127.0.0.1:9/v1/traces' },
      'tracing-rounds': { type: 'string', default: '3' },
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
const tracingMode = values.tracing;
const tracingRounds = Number(values['tracing-rounds']);
if (tracingMode !== undefined && tracingMode !== 'memory' && tracingMode !== 'otlp') {
  console.error(`--tracing must be memory or otlp\n${usage}`);
  process.exit(2);
}
if (!Number.isInteger(tracingRounds) || tracingRounds < 1) {
  console.error(`--tracing-rounds must be a positive integer\n${usage}`);
  process.exit(2);
}

const config = loadConfig(process.env);
const kafka: KafkaClient = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const run = randomUUID().slice(0, 8);
const topics: string[] = [];

/** A phase's figures: events/s (wall clock) and the process's CPU per event, from the first handler to the last. */
interface Rate {
  perSecond: number;
  cpuUsPerEvent: number;
}

function rateOf(n: number, ms: number, cpu: NodeJS.CpuUsage | undefined): Rate {
  return { perSecond: ((n - 1) / ms) * 1000, cpuUsPerEvent: cpu ? (cpu.user + cpu.system) / n : Number.NaN };
}

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
    const m = eventMessage(
      'booking.created',
      key,
      seq,
      { ...samples['booking.created'], bookingId: key },
      id,
    );
    // As emit() writes it for a traced caller: every handler span then has a remote parent.
    m.headers.traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    return m;
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
): Promise<Rate> {
  let handled = 0;
  let first = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
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
        if (!first) [first, cpu0] = [performance.now(), process.cpuUsage()];
        await handler();
        if (++handled === n) cpu = process.cpuUsage(cpu0);
        last = performance.now();
      },
    },
  });
  await consumer.start();
  await waitFor(() => handled >= n, { timeoutMs: 600_000, intervalMs: 20, what: `${n} events` });
  await consumer.stop();
  return rateOf(n, last - first, cpu);
}

/**
 * The baseline: the port's group consumer read by hand — poll, decode, handle one record at a
 * time per partition with the partitions in parallel, commit nothing.
 */
async function portRaw(topic: string, n: number, handler: () => Promise<void>): Promise<Rate> {
  let handled = 0;
  let first = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
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
            if (!first) [first, cpu0] = [performance.now(), process.cpuUsage()];
            await decoder.decode(record);
            await handler();
            if (++handled === n) cpu = process.cpuUsage(cpu0);
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
  return rateOf(n, last - first, cpu);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(8);
const line = (label: string, r: Rate, note: string) =>
  console.log(
    `  ${label.padEnd(55)}${fmt(r.perSecond)} msg/s  ${r.cpuUsPerEvent.toFixed(1).padStart(5)} µs CPU/event  ${note}`,
  );
try {
  console.log(`consumer benchmark: ${partitions} partitions, ${keys} keys, inFlight ${inFlight}`);
  const fast = await benchTopic('noop', events);
  const baseline = await profiled(values.profile, 'raw-noop', () => portRaw(fast, events, async () => {}));
  line("no-op handler, the port's raw read + decode (baseline)", baseline, `(${events} events)`);
  const noop = await profiled(values.profile, 'framework-noop', () =>
    framework(fast, events, async () => {}, inFlight),
  );
  // The CPU ratio is the steadier figure on a shared machine: it does not move with what else
  // runs, where events/s does.
  line(
    'no-op handler, framework',
    noop,
    `(${(noop.perSecond / baseline.perSecond).toFixed(2)}× baseline events/s, ${(baseline.cpuUsPerEvent / noop.cpuUsPerEvent).toFixed(2)}× by CPU; target ≥ 0.8×)`,
  );
  if (tracingMode !== undefined) {
    // Traced and untraced phases alternate, and medians are compared: on a shared machine one
    // pair can differ by more than tracing costs. The spread of the untraced runs is printed.
    const untraced = [noop.cpuUsPerEvent];
    const traced: number[] = [];
    let exported = 0;
    for (let round = 0; round < tracingRounds; round++) {
      const memory = new InMemorySpanExporter();
      const tracing = startTracing(
        tracingMode === 'memory'
          ? { serviceName: 'bench', exporter: memory, maxQueuedSpans: events }
          : { serviceName: 'bench', url: values['otlp-url'], maxQueuedSpans: events },
      );
      const t = await profiled(values.profile, `framework-noop-traced-${round}`, () =>
        framework(fast, events, async () => {}, inFlight),
      );
      // An OTLP export to a closed port fails by design: the spans were built and serialised.
      await tracing.forceFlush().catch(() => {});
      // Counted before shutdown, which empties the in-memory exporter.
      exported += memory.getFinishedSpans().length;
      await tracing.shutdown();
      traced.push(t.cpuUsPerEvent);
      untraced.push((await framework(fast, events, async () => {}, inFlight)).cpuUsPerEvent);
    }
    const [on, off] = [median(traced), median(untraced)];
    const us = (x: number) => `${x.toFixed(1)} µs`;
    console.log(
      `  no-op handler, framework, CPU per event, median of ${traced.length} traced / ${untraced.length} untraced runs, alternating:\n` +
        `    untraced ${us(off)} (runs ${untraced.map((x) => x.toFixed(0)).join(', ')}: the noise)\n` +
        `    traced (${tracingMode === 'memory' ? 'in-memory exporter' : `OTLP/HTTP to ${values['otlp-url']}`}) ${us(on)} (runs ${traced.map((x) => x.toFixed(0)).join(', ')})` +
        `${tracingMode === 'memory' ? `, ${exported} of ${events * traced.length} spans exported` : ''}\n` +
        `    tracing costs ${on - off >= 0 ? '+' : ''}${us(on - off)} CPU per event (${((on / off - 1) * 100).toFixed(0)} %)`,
    );
  }
  const slow = await benchTopic('slow', Math.max(slowEvents, sequentialEvents));
  const parallel = await framework(slow, slowEvents, () => sleep(5), inFlight);
  line(`5 ms handler, framework, inFlight ${inFlight}`, parallel, `(${slowEvents} events)`);
  const partitionEvents = Math.min(slowEvents, 1000);
  const partitionParallel = await portRaw(slow, partitionEvents, () => sleep(5));
  line(
    `5 ms handler, raw port read, ${partitions} partitions at once`,
    partitionParallel,
    `(${partitionEvents} events)`,
  );
  const sequential = await framework(slow, sequentialEvents, () => sleep(5), 1);
  line('5 ms handler, framework, inFlight 1 (sequential)', sequential, `(${sequentialEvents} events)`);
  console.log(
    `  key parallelism vs sequential: ${(parallel.perSecond / sequential.perSecond).toFixed(1)}× (target ≥ 50×); vs partition parallelism: ${(parallel.perSecond / partitionParallel.perSecond).toFixed(1)}×`,
  );
} finally {
  await deleteTopics(kafka, topics);
}
