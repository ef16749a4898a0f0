import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { loadConfig } from '../../core/config.ts';
import { createKafka, type KafkaClient } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { withTx } from '../../test/db.ts';
import { deadLetterHeaders as h } from './dead-letter.ts';
import { type Consumer, type ConsumerOptions, defineConsumer } from './define-consumer.ts';
import { skip } from './handler.ts';
import {
  createTopic,
  deleteTopics,
  envelope,
  produce,
  readTopic,
  recordAt,
  withAdmin,
} from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka: KafkaClient = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const emitter = createEmitter({ schemaIds: createSchemaIds(registry) });
const logger = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const day = 86_400_000;
const consumers: Consumer[] = [];
const topicsToDelete: string[] = [];
let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 2 });
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await deleteTopics(kafka, topicsToDelete);
  await pool.end();
});

function consumer(options: Pick<ConsumerOptions, 'group' | 'handlers'> & Partial<ConsumerOptions>): Consumer {
  const c = defineConsumer({
    kafka,
    registry,
    logger,
    retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50 },
    ...options,
  });
  consumers.push(c);
  return c;
}

/** A topic's `retention.ms` and whether the topic itself sets it (rather than a broker default). */
async function retentionOf(topic: string): Promise<{ ms: string; topicLevel: boolean }> {
  return withAdmin(kafka, async (admin) => {
    const entry = (await admin.topicConfigs(topic)).find((e) => e.name === 'retention.ms')!;
    return { ms: entry.value ?? '', topicLevel: entry.isTopicOverride };
  });
}

describe('dead letters of real traffic', () => {
  it('dead-letters a record whose NULL outbox columns arrive as null headers, and its key moves on', async () => {
    const group = `test-dlq-null-headers-${run}`;
    const dlq = `events.booking.dlq.${group}`;
    topicsToDelete.push(dlq);
    const failing = randomUUID();
    const other = randomUUID();
    const seen: string[] = [];
    const handle = async (e: { aggregateId: string; sequence: number }) => {
      if (e.aggregateId === failing && e.sequence === 1) throw new Error('always fails');
      if (e.aggregateId !== failing && e.aggregateId !== other) return skip('another test run');
      seen.push(`${e.aggregateId}#${e.sequence}`);
    };
    const c = consumer({ group, handlers: { 'booking.created': handle, 'booking.confirmed': handle } });
    const deadLettered: string[] = [];
    c.events.on('dead-lettered', (d) => deadLettered.push(d.eventId ?? '?'));
    await c.start();

    // emit() with no actor and no trace context: the outbox row has NULL actor, traceparent
    // and tracestate, which Debezium turns into headers with null values.
    const events: AnyEmitInput[] = [
      {
        type: 'booking.created',
        aggregateId: failing,
        payload: { ...samples['booking.created'], bookingId: failing },
      },
      {
        type: 'booking.confirmed',
        aggregateId: failing,
        payload: { ...samples['booking.confirmed'], bookingId: failing },
      },
      {
        type: 'booking.created',
        aggregateId: other,
        payload: { ...samples['booking.created'], bookingId: other },
      },
    ];
    const emitted = await withTx(pool, (tx) => emitter.emitMany(tx, events));

    // The stream goes on: the failing key's next event, and another key.
    await waitFor(() => seen.includes(`${failing}#2`) && seen.includes(`${other}#1`), {
      timeoutMs: 90_000,
      what: 'the events after the failing one',
    });
    expect(seen.filter((s) => s.startsWith(failing))).toEqual([`${failing}#2`]);
    expect(deadLettered).toEqual([emitted[0]!.eventId]);

    const [letter] = await readTopic(kafka, dlq, 1);
    expect(letter!.key).toBe(failing);
    expect(letter!.headers).toMatchObject({
      [envelopeHeaders.eventId]: emitted[0]!.eventId,
      [h.reason]: 'retries-exhausted',
      [h.attempts]: '2',
      [h.errorMessage]: 'always fails',
    });
    // The source record really carried the null headers…
    const source = await recordAt(
      kafka,
      'events.booking',
      Number(letter!.headers[h.originalPartition]),
      BigInt(letter!.headers[h.originalOffset]!),
    );
    for (const name of [envelopeHeaders.actor, envelopeHeaders.traceparent, envelopeHeaders.tracestate]) {
      expect(source.headers.get(name)).toBeNull();
    }
    // …and the dead letter leaves them out, keeping every other header.
    const raw = await recordAt(kafka, dlq, letter!.partition, letter!.offset);
    const names = [...raw.headers.keys()];
    expect(names).not.toContain(envelopeHeaders.actor);
    expect(names).not.toContain(envelopeHeaders.traceparent);
    expect([...raw.headers.values()].every((v) => v !== null)).toBe(true);
    for (const [name, value] of source.headers) {
      if (value !== null) expect(raw.headers.get(name)?.toString()).toBe(value.toString());
    }
    // The topic keeps dead letters for the default 30 days, not the broker's 7.
    expect(await retentionOf(dlq)).toEqual({ ms: String(30 * day), topicLevel: true });
  });
});

describe('dead-letter topic retention', () => {
  const topic = `test.dlq-retention.${run}`;
  topicsToDelete.push(topic);
  const poison = (key: string) => ({
    key,
    value: Buffer.from('not avro'),
    headers: envelope('booking.created', key, 1),
  });

  beforeAll(async () => {
    await createTopic(kafka, topic, 2);
  });

  /** Runs a consumer of the test topic until `key`'s poison record is dead-lettered. */
  async function deadLetter(group: string, key: string, more: Partial<ConsumerOptions> = {}) {
    const c = consumer({
      group,
      fromBeginning: true,
      topicNames: { 'events.booking': topic },
      handlers: { 'booking.created': async () => {} },
      ...more,
    });
    const letters: string[] = [];
    c.events.on('dead-lettered', (d) => letters.push(d.key ?? ''));
    await c.start();
    await produce(kafka, topic, [poison(key)]);
    await waitFor(() => letters.includes(key), { timeoutMs: 60_000, what: `the dead letter of ${key}` });
    await c.stop();
  }

  it('creates the topic with `deadLetter.retentionMs`', async () => {
    const group = `test-dlq-retention-${run}`;
    topicsToDelete.push(`${topic}.dlq.${group}`);
    await deadLetter(group, `custom-${run}`, { deadLetter: { retentionMs: 45 * day } });
    expect(await retentionOf(`${topic}.dlq.${group}`)).toEqual({ ms: String(45 * day), topicLevel: true });
  });

  it('gives an existing dead-letter topic on the broker default the configured retention', async () => {
    const group = `test-dlq-old-${run}`;
    const dlq = `${topic}.dlq.${group}`;
    topicsToDelete.push(dlq);
    // As an earlier version created it: no retention of its own.
    await createTopic(kafka, dlq, 2);
    expect((await retentionOf(dlq)).topicLevel).toBe(false);
    await deadLetter(group, `old-${run}`);
    expect(await retentionOf(dlq)).toEqual({ ms: String(30 * day), topicLevel: true });
  });

  it('leaves a retention an operator set on the topic alone', async () => {
    const group = `test-dlq-operator-${run}`;
    const dlq = `${topic}.dlq.${group}`;
    topicsToDelete.push(dlq);
    await withAdmin(kafka, (admin) =>
      admin.createTopics([
        { topic: dlq, partitions: 2, replicationFactor: 1, configs: { 'retention.ms': String(90 * day) } },
      ]),
    );
    await deadLetter(group, `operator-${run}`);
    expect(await retentionOf(dlq)).toEqual({ ms: String(90 * day), topicLevel: true });
  });
});
