import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { OutstreamError } from '../../core/errors.ts';
import { createKafka, type KafkaClient } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { type BookingCreated, encodePayload, frame, samples } from '../../schemas/index.ts';
import { createPgBlockedKeyStore, releaseBlockedKey } from './blocked-keys.ts';
import { deadLetterHeaders as h } from './dead-letter.ts';
import { type Consumer, type ConsumerOptions, defineConsumer } from './define-consumer.ts';
import { createHealthApp } from './health.ts';
import { metricNames } from './metrics.ts';
import {
  createTopic,
  deleteTopics,
  envelope,
  eventMessage,
  produce,
  readTopic,
  type TestMessage,
} from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka: KafkaClient = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const schemaIds = createSchemaIds(registry);
const logger = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const topic = `test.failures.${run}`;
const consumers: Consumer[] = [];
let pool: pg.Pool;
const topicsToDelete = [topic];

const created = (id: string): BookingCreated => ({
  ...samples['booking.created'],
  bookingId: randomUUID(),
  reference: id,
});

/** Key → what the handler does with it. */
const keys = {
  good: `good-${run}`,
  poison: `poison-${run}`,
  unknownId: `unknown-id-${run}`,
  throws: `throws-${run}`,
  fatal: `fatal-${run}`,
  flaky: `flaky-${run}`,
};

async function records(): Promise<TestMessage[]> {
  const id = await schemaIds.idFor('booking.created');
  const good = (key: string, seq: number) =>
    eventMessage('booking.created', key, seq, created(`${key}#${seq}`), id);
  const body = encodePayload('booking.created', created('x'));
  return [
    good(keys.good, 1),
    // Garbage bytes under a handled event type: not Confluent framing at all.
    {
      key: keys.poison,
      value: Buffer.from('{"not":"avro"}'),
      headers: envelope('booking.created', keys.poison, 1),
    },
    // Framed, but with a schema id the registry has never issued.
    {
      key: keys.unknownId,
      value: frame(2_000_000_000, body),
      headers: envelope('booking.created', keys.unknownId, 1),
    },
    good(keys.throws, 1),
    good(keys.fatal, 1),
    good(keys.flaky, 1),
    // An event type this consumer has no handler for: skipped without even decoding.
    { key: keys.good, value: Buffer.from('ignored'), headers: envelope('booking.cancelled', keys.good, 2) },
    // Types the catalogue does not know (a newer producer; a hostile header): skipped too.
    { key: keys.good, value: Buffer.from('ignored'), headers: envelope('booking.teleported', keys.good, 90) },
    { key: keys.good, value: Buffer.from('ignored'), headers: envelope('constructor', keys.good, 91) },
    good(keys.good, 3),
    good(keys.poison, 2),
    good(keys.unknownId, 2),
    good(keys.throws, 2),
    good(keys.fatal, 2),
    good(keys.flaky, 2),
  ];
}

function consumerFor(
  group: string,
  orderingOnFailure: 'continue' | 'block-key',
  seen: Map<string, number[]>,
  more: Partial<ConsumerOptions> = {},
) {
  const flakyAttempts = new Map<number, number>();
  const c = defineConsumer({
    group,
    kafka,
    registry,
    logger,
    fromBeginning: true,
    orderingOnFailure,
    topicNames: { 'events.booking': topic },
    retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
    ...more,
    handlers: {
      'booking.created': async (e, ctx) => {
        if (e.aggregateId === keys.throws && e.sequence === 1) throw new Error('always fails');
        if (e.aggregateId === keys.fatal && e.sequence === 1) {
          throw new OutstreamError('INVALID_EVENT', 'cannot ever work', { retriable: false });
        }
        if (e.aggregateId === keys.flaky && ctx.attempt < 3) {
          flakyAttempts.set(e.sequence, ctx.attempt);
          throw new Error(`flaky attempt ${ctx.attempt}`);
        }
        seen.set(e.aggregateId, [...(seen.get(e.aggregateId) ?? []), e.sequence]);
      },
    },
  });
  consumers.push(c);
  return c;
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 2 });
  await createTopic(kafka, topic, 3);
  await produce(kafka, topic, await records());
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await deleteTopics(kafka, topicsToDelete);
  await pool.end();
});

describe('failure handling', () => {
  it('dead-letters poison and failing events with the documented headers, and keeps going', async () => {
    const group = `test-failures-${run}`;
    const seen = new Map<string, number[]>();
    const c = consumerFor(group, 'continue', seen);
    const retries: number[] = [];
    c.events.on('retry', (r) => retries.push(r.attempt));
    const started = Date.now();
    await c.start();
    const dlq = `${topic}.dlq.${group}`;
    topicsToDelete.push(dlq);
    await waitFor(() => Object.values(keys).every((k) => seen.get(k)?.includes(k === keys.good ? 3 : 2)), {
      timeoutMs: 60_000,
      what: 'the last event of every key',
    });
    // The stream went on past each failure, and in order.
    expect(seen.get(keys.good)).toEqual([1, 3]);
    expect(seen.get(keys.poison)).toEqual([2]);
    expect(seen.get(keys.unknownId)).toEqual([2]);
    expect(seen.get(keys.throws)).toEqual([2]);
    expect(seen.get(keys.fatal)).toEqual([2]);
    expect(seen.get(keys.flaky)).toEqual([1, 2]);

    const letters = await readTopic(kafka, dlq, 4);
    const byKey = Object.fromEntries(letters.map((l) => [l.key, l.headers]));
    expect(Object.keys(byKey).sort()).toEqual([keys.fatal, keys.poison, keys.throws, keys.unknownId].sort());
    const common = { [h.group]: group, [h.originalTopic]: topic, 'event-type': 'booking.created' };
    expect(byKey[keys.poison]).toMatchObject({
      ...common,
      [h.reason]: 'poison',
      [h.errorClass]: 'SchemaDecodeError',
      [h.errorCode]: 'SCHEMA_DECODE',
      [h.attempts]: '0',
      [h.originalKey]: keys.poison,
    });
    expect(byKey[keys.poison]![h.errorMessage]).toMatch(/magic byte.*looks like JSON/);
    expect(byKey[keys.unknownId]).toMatchObject({
      ...common,
      [h.reason]: 'poison',
      [h.errorCode]: 'SCHEMA_DECODE',
    });
    expect(byKey[keys.unknownId]![h.errorMessage]).toMatch(/schema id 2000000000 is not in the registry/);
    expect(byKey[keys.throws]).toMatchObject({
      ...common,
      [h.reason]: 'retries-exhausted',
      [h.errorClass]: 'Error',
      [h.errorMessage]: 'always fails',
      [h.attempts]: '3',
    });
    expect(byKey[keys.fatal]).toMatchObject({
      ...common,
      [h.reason]: 'non-retriable',
      [h.errorClass]: 'OutstreamError',
      [h.errorCode]: 'INVALID_EVENT',
      [h.attempts]: '1',
    });
    for (const l of letters) {
      expect(Number(l.headers[h.originalPartition])).toBeGreaterThanOrEqual(0);
      expect(l.headers[h.originalOffset]).toMatch(/^\d+$/);
      const first = Date.parse(l.headers[h.firstAttemptAt]!);
      const last = Date.parse(l.headers[h.lastAttemptAt]!);
      expect(first).toBeGreaterThanOrEqual(started - 1000);
      expect(last).toBeGreaterThanOrEqual(first);
    }
    // The original record travels unchanged: a replay can re-publish it as it was.
    expect(letters.find((l) => l.key === keys.poison)!.value!.toString()).toBe('{"not":"avro"}');
    expect(retries.length).toBeGreaterThanOrEqual(2 + 2 + 2);

    const app = createHealthApp([c]);
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(new RegExp(`${metricNames.deadLettered}\\{[^}]*reason="poison"[^}]*\\} 2`));
    expect(metrics).toMatch(
      new RegExp(`${metricNames.deadLettered}\\{[^}]*reason="retries-exhausted"[^}]*\\} 1`),
    );
    expect(metrics).toMatch(
      new RegExp(`${metricNames.skipped}\\{[^}]*event_type="booking.cancelled",reason="no-handler"\\} 1`),
    );
    expect(metrics).toMatch(
      new RegExp(`${metricNames.skipped}\\{[^}]*event_type="unknown",reason="unknown-type"\\} 2`),
    );
    expect(metrics).toContain(metricNames.handlerDuration);
    expect(metrics).toContain(metricNames.commitToHandle);
    const health = await app.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', consumers: [{ group, state: 'running' }] });
    await c.stop();
    expect((await app.request('/health')).status).toBe(503);
  });

  it('with block-key, sends the later events of a dead-lettered key to the DLQ too', async () => {
    const group = `test-failures-block-${run}`;
    const seen = new Map<string, number[]>();
    const blockedKeys = createPgBlockedKeyStore(pool);
    const c = consumerFor(group, 'block-key', seen, { blockedKeys });
    await c.start();
    const dlq = `${topic}.dlq.${group}`;
    topicsToDelete.push(dlq);
    await waitFor(() => seen.get(keys.good)?.includes(3) && seen.get(keys.flaky)?.includes(2), {
      timeoutMs: 60_000,
      what: 'the healthy keys',
    });
    const letters = await readTopic(kafka, dlq, 8);
    const reasons = letters.map((l) => `${l.key}:${l.headers.sequence}:${l.headers[h.reason]}`).sort();
    expect(reasons).toEqual(
      [
        `${keys.poison}:1:poison`,
        `${keys.poison}:2:blocked`,
        `${keys.unknownId}:1:poison`,
        `${keys.unknownId}:2:blocked`,
        `${keys.throws}:1:retries-exhausted`,
        `${keys.throws}:2:blocked`,
        `${keys.fatal}:1:non-retriable`,
        `${keys.fatal}:2:blocked`,
      ].sort(),
    );
    const blocked = letters.find((l) => l.key === keys.throws && l.headers[h.reason] === 'blocked')!;
    const blocker = letters.find((l) => l.key === keys.throws && l.headers[h.reason] !== 'blocked')!;
    expect(blocked.headers[h.blockedBy]).toBe(blocker.headers[h.originalOffset]);
    expect(seen.get(keys.throws)).toBeUndefined();
    expect(seen.get(keys.good)).toEqual([1, 3]);

    // The block survives a restart (another process, same group): the key's next event waits too.
    await c.stop();
    const id = await schemaIds.idFor('booking.created');
    const next = (seq: number) => eventMessage('booking.created', keys.throws, seq, created(`t#${seq}`), id);
    await produce(kafka, topic, [next(3)]);
    const restarted = consumerFor(group, 'block-key', seen, { blockedKeys });
    await restarted.start();
    const afterRestart = await readTopic(kafka, dlq, 9);
    expect(afterRestart.filter((l) => l.key === keys.throws).map((l) => l.headers.sequence)).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(seen.get(keys.throws)).toBeUndefined();

    // Once released (its dead letters replayed), the key flows again from the next join on.
    await restarted.stop();
    expect(await releaseBlockedKey(pool, group, topic, keys.throws)).toBe(true);
    await produce(kafka, topic, [next(4)]);
    const released = consumerFor(group, 'block-key', seen, { blockedKeys });
    await released.start();
    await waitFor(() => seen.get(keys.throws)?.includes(4), { timeoutMs: 60_000, what: 'the released key' });
    expect(seen.get(keys.throws)).toEqual([4]);
  });
});
