// The capture floor of bench:groups: bare readers of the event topics, with no handler, side
// by side in one run — the port (what the framework reads with), kafkajs (the client it
// replaced, kept here only as a baseline) and kcat (librdkafka) when it is installed. Each
// records when every event of the run arrived.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { createKafka, headerText, type KafkaClient } from '../core/kafka/index.ts';
import { waitFor } from '../core/wait.ts';

/** A reader of the floor phase: arrival time (ms) per event id of this run. */
export interface FloorReader {
  name: string;
  arrivals: Map<string, number>;
  /** The Kafka record's timestamp per event id (Connect's producer sets it), when the reader sees it. */
  recordTimes?: Map<string, number>;
  stop(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();

/** The port's group consumer from the end of each partition, committing nothing. */
export async function portReader(
  kafka: KafkaClient,
  topics: string[],
  group: string,
  actor: string,
): Promise<FloorReader> {
  const arrivals = new Map<string, number>();
  const recordTimes = new Map<string, number>();
  const bounds = await kafka.withAdmin(async (admin) =>
    Object.fromEntries(
      await Promise.all(topics.map(async (t) => [t, await admin.partitionBounds(t)] as const)),
    ),
  );
  const consumer = kafka.groupConsumer({
    groupId: group,
    topics,
    listener: {
      async assigned(ps) {
        for (const p of ps) {
          const high = bounds[p.topic]?.find((b) => b.partition === p.partition)?.high ?? 0n;
          consumer.seek({ ...p, offset: high });
        }
      },
      async revoked() {},
      lost() {},
    },
  });
  await consumer.start();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const b of await consumer.poll()) {
        const t = now();
        for (const r of b.records) {
          const id = headerText(r.headers, envelopeHeaders.eventId);
          if (id && headerText(r.headers, envelopeHeaders.actor) === actor) {
            arrivals.set(id, t);
            recordTimes.set(id, r.timestamp);
          }
        }
      }
    }
  })();
  return {
    name: '@platformatic/kafka (the port)',
    arrivals,
    recordTimes,
    async stop() {
      running = false;
      await loop;
      await consumer.close();
      await kafka.withAdmin((a) => a.deleteGroups([group])).catch(() => {});
    },
  };
}

/**
 * kafkajs 2.2.4 `eachBatch`, partitions consumed concurrently, as the framework used it.
 * Its request queue arms negative timers (kafkajs#1751), which Node 24 reports on every
 * connection: those warnings are dropped here, the only place kafkajs still runs.
 */
export async function kafkajsReader(
  brokers: readonly string[],
  topics: string[],
  group: string,
  actor: string,
): Promise<FloorReader> {
  const arrivals = new Map<string, number>();
  const print = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'TimeoutNegativeWarning') for (const l of print) l(w);
  });
  const kafka = new kafkajs.Kafka({
    clientId: 'bench-floor-kafkajs',
    brokers: [...brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: false });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    partitionsConsumedConcurrently: 36,
    eachBatch: async ({ batch }) => {
      const t = now();
      for (const m of batch.messages) {
        const id = m.headers?.[envelopeHeaders.eventId]?.toString();
        if (id && m.headers?.[envelopeHeaders.actor]?.toString() === actor) arrivals.set(id, t);
      }
    },
  });
  await joined;
  return {
    name: 'kafkajs 2.2.4 (replaced; baseline)',
    arrivals,
    async stop() {
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([group]).catch(() => {});
      await admin.disconnect();
    },
  };
}

/** kcat (librdkafka) as a balanced consumer from the end; undefined when kcat is not installed. */
export async function kcatReader(
  brokers: readonly string[],
  topics: string[],
  group: string,
  actor: string,
): Promise<FloorReader | undefined> {
  if (spawnSync('kcat', ['-V']).status !== 0) return undefined;
  const arrivals = new Map<string, number>();
  const child = spawn(
    'kcat',
    [
      '-b',
      brokers.join(','),
      '-G',
      group,
      '-X',
      'auto.offset.reset=latest',
      '-q',
      '-u',
      '-f',
      '%h\\n',
      ...topics,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const t = now();
    const h = Object.fromEntries(line.split(',').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    if (h[envelopeHeaders.actor] === actor && h[envelopeHeaders.eventId])
      arrivals.set(h[envelopeHeaders.eventId]!, t);
  });
  // kcat prints nothing when it joins: wait (up to 30 s, then measure anyway) until its group
  // is stable with partitions assigned.
  const kafka = createKafka({ brokers, clientId: 'bench-floor-kcat' });
  await kafka
    .withAdmin((admin) =>
      waitFor(
        async () => {
          const [g] = await admin.describeGroups([group]);
          return (
            (g?.members.some((m) => m.assignment.length > 0) ?? false) && g?.state.toUpperCase() === 'STABLE'
          );
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `kcat's group ${group} to be assigned` },
      ),
    )
    .catch(() => {});
  return {
    name: 'kcat (librdkafka)',
    arrivals,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await kafka.withAdmin((a) => a.deleteGroups([group])).catch(() => {});
    },
  };
}
