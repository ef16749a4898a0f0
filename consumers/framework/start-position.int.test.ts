import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import { createTopic, deleteTopics, eventMessage, produce, withAdmin } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const run = randomUUID().slice(0, 8);
const topic = `test.start-position.${run}`;
const partitions = 3;
const consumers: Consumer[] = [];

beforeAll(async () => {
  await createTopic(kafka, topic, partitions);
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await deleteTopics(kafka, [topic]);
});

/** `n` user.registered records on distinct keys (spread over the partitions); returns their event ids. */
async function produceUsers(n: number, label: string): Promise<string[]> {
  const schemaId = await createSchemaIds(registry).idFor('user.registered');
  const messages = Array.from({ length: n }, (_, i) =>
    eventMessage(
      'user.registered',
      `${label}-${run}-${i}`,
      1,
      { ...samples['user.registered'], userId: randomUUID() },
      schemaId,
    ),
  );
  await produce(kafka, topic, messages);
  return messages.map((m) => m.headers[envelopeHeaders.eventId]!);
}

function newConsumer(group: string, seen: string[]): Consumer {
  const c = defineConsumer({
    group,
    kafka,
    registry,
    logger: pino({ level: 'silent' }),
    fromBeginning: false,
    topicNames: { 'events.user': topic },
    handlers: {
      'user.registered': async (e) => {
        seen.push(e.id);
      },
    },
  });
  consumers.push(c);
  return c;
}

async function committedOffsets(group: string): Promise<Record<number, bigint>> {
  return withAdmin(kafka, async (admin) => {
    const committed = await admin.committedOffsets(group, [topic]);
    return Object.fromEntries(committed.map((p) => [p.partition, p.offset]));
  });
}

describe('where a new group starts (fromBeginning: false)', () => {
  it('commits its start positions on first assignment, so a restart before any event loses nothing', async () => {
    // Events from before the group existed: a group that starts at the end never sees them.
    const old = await produceUsers(12, 'old');
    const ends = await withAdmin(kafka, (admin) => admin.partitionBounds(topic));
    const group = `test-start-position-${run}`;
    const seen: string[] = [];

    const first = newConsumer(group, seen);
    await first.start();
    // Nothing arrived while it ran, so it handled and committed nothing of its own; the start
    // positions it resolved are committed all the same.
    expect(await committedOffsets(group)).toEqual(Object.fromEntries(ends.map((e) => [e.partition, e.high])));
    await first.stop();

    // Events written while the young group is down, on every partition.
    const missed = await produceUsers(12, 'while-down');
    const second = newConsumer(group, seen);
    await second.start();
    await waitFor(() => missed.every((id) => seen.includes(id)), {
      timeoutMs: 60_000,
      what: 'the events written while the group was down',
    });
    expect(seen.filter((id) => old.includes(id))).toEqual([]);
    expect(new Set(seen).size).toBe(missed.length);
  });
});
