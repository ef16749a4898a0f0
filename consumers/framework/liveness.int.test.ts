import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, loadConfig } from '../../core/config.ts';
import { createKafka, type KafkaProducer } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import {
  privateStackConfig,
  privateStackDown,
  privateStackUp,
} from '../runtime/test-fixtures/private-stack.ts';
import { type Consumer, createHealthApp, defineConsumer, metricNames } from './index.ts';
import { createTopic, eventMessage } from './test-fixtures/kafka.ts';

// On a private broker (ours to slow down and fence members on).
const suite = loadConfig(process.env);
const config = privateStackConfig(suite);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-liveness' });
const registry = createSchemaRegistry({ url: suite.registry.url });
const schemaIds = createSchemaIds(registry);
let producer: KafkaProducer;
let schemaId: number;

// Stopped afterwards, only what this file started (a private stack someone keeps up is left up).
let startedHere: Component[] = [];

beforeAll(async () => {
  startedHere = await privateStackUp(suite, config);
  producer = kafka.producer();
  schemaId = await schemaIds.idFor('booking.created');
}, 300_000);

afterAll(async () => {
  await producer?.close();
  await privateStackDown(config, startedHere);
});

/** A topic of its own, and a writer of booking.created records to it, 20 every 50 ms, while on. */
async function steadyLoad() {
  const topic = `test.liveness.${randomUUID().slice(0, 8)}`;
  await createTopic(kafka, topic, 3);
  let produced = 0;
  let on = true;
  const writer = (async () => {
    while (on) {
      const records = Array.from({ length: 20 }, () => {
        const id = randomUUID();
        const payload = { ...samples['booking.created'], bookingId: id };
        return { topic, ...eventMessage('booking.created', id, 1, payload, schemaId) };
      });
      await producer.send(records).then(() => {
        produced += records.length;
      });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    topic,
    produced: () => produced,
    stop: async () => {
      on = false;
      await writer;
    },
  };
}

describe('liveness', () => {
  // Issue 12's hang, reproduced: a member fenced while it could not heartbeat (here: its event
  // loop blocked past the session timeout; after a broker restart, the same) commits with a
  // stale generation; platformatic's client rejoins inside that commit and waits, the rejoin
  // waits for the member's revocation, the revocation for the commit. Before the fix the last
  // line was "partitions revoked; draining" and nothing was handled again, /health said ok.
  it('a member fenced while frozen past its session timeout rejoins and carries on under load', async () => {
    const load = await steadyLoad();
    const handled = new Set<string>();
    const consumer: Consumer = defineConsumer({
      group: `test-liveness-${randomUUID().slice(0, 8)}`,
      kafka,
      registry,
      logger: pino({ level: 'silent' }),
      topicNames: { 'events.booking': load.topic },
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      drainTimeoutMs: 2_000,
      handlers: {
        // Some work in flight at every moment: a commit is due whenever the loop runs.
        'booking.created': async (e) => {
          await new Promise((r) => setTimeout(r, 5));
          handled.add(e.id);
        },
      },
    });
    await consumer.start();
    try {
      await waitFor(() => handled.size >= 200, { timeoutMs: 60_000, what: 'records before the freeze' });
      // Nothing runs in this process for 10 s: no heartbeat, and the group expires the member.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
      const thawedAt = load.produced();
      await waitFor(() => handled.size >= thawedAt + 200, {
        timeoutMs: 60_000,
        what: 'records written after the freeze to be handled (the member rejoined)',
      });
      await load.stop();
      await waitFor(() => handled.size >= load.produced(), {
        timeoutMs: 60_000,
        what: 'every record handled',
      });
      expect(consumer.status()).toMatchObject({ state: 'running', stalled: undefined });
    } finally {
      await load.stop();
      await consumer.stop();
    }
  }, 180_000);

  it('a consumer with work and no progress is stalled: /health answers 503 unhealthy, the metric says 1', async () => {
    const load = await steadyLoad();
    let started = 0;
    const consumer = defineConsumer({
      group: `test-stall-${randomUUID().slice(0, 8)}`,
      kafka,
      registry,
      logger: pino({ level: 'silent' }),
      topicNames: { 'events.booking': load.topic },
      inFlight: 4,
      drainTimeoutMs: 1_000,
      stallTimeoutMs: 4_000,
      handlers: {
        // Hangs: the handler never settles (a lost callback, a lock never released).
        'booking.created': () => {
          started++;
          return new Promise<void>(() => {});
        },
      },
    });
    await consumer.start();
    const app = createHealthApp([consumer]);
    try {
      await waitFor(() => started >= 4, { timeoutMs: 30_000, what: 'handlers to start and hang' });
      const res = await waitFor(
        async () => {
          const r = await app.request('/health');
          return r.status === 503 ? r : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: '/health to answer 503' },
      );
      const body = (await res.json()) as { status: string; consumers: { stalled?: string }[] };
      expect(body.status).toBe('unhealthy');
      expect(body.consumers[0]!.stalled).toMatch(
        /^no progress for \d+ s with (a lag of \d+ and )?\d+ events in flight$/,
      );
      expect(await consumer.metrics.getSingleMetricAsString(metricNames.stalled)).toMatch(
        new RegExp(`${metricNames.stalled}\\{group="test-stall-[^"]+"\\} 1`),
      );
    } finally {
      await load.stop();
      await consumer.stop();
    }
  }, 120_000);
});
