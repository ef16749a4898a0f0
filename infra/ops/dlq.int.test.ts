import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Consumer,
  type ConsumerOptions,
  createPgBlockedKeyStore,
  deadLetterPartitions,
  defineConsumer,
  type Handlers,
  processOnce,
  replayDeadLetters,
  skip,
} from '../../consumers/framework/index.ts';
import {
  createTopic,
  deleteTopics,
  envelope,
  eventMessage,
  produce,
  withAdmin,
} from '../../consumers/framework/test-fixtures/kafka.ts';
import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import { loadConfig } from '../../core/config.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { createKafka, deadLetterTopic, replayCursorGroup } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { type BookingCreated, samples } from '../../schemas/index.ts';
import { listBlockedKeys, releaseKey } from './blocked-keys.ts';
import { formatDeadLetterListing, listDeadLetters } from './dlq-list.ts';
import { type ReplayCommandOptions, replayCommand } from './dlq-replay.ts';

// A group fails on real records through the real framework; its dead letters are listed,
// then replayed through its own (fixed) handlers — once, and never twice in effect.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const schemaIds = createSchemaIds(registry);
const silent = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const topic = `test.ops-dlq.${run}`;
const group = `test-ops-dlq-${run}`;
const dlq = deadLetterTopic(topic, group);
const blockTopic = `test.ops-block.${run}`;
const blockGroup = `test-ops-block-${run}`;
const blockDlq = deadLetterTopic(blockTopic, blockGroup);
const keys = { good: `good-${run}`, failing: `failing-${run}`, poison: `poison-${run}`, held: `held-${run}` };
const retry = { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 };
let pool: pg.Pool;
const consumers: Consumer[] = [];

/** `key#sequence` of the events whose handler throws, until the test "fixes" it. */
const broken = new Set([`${keys.failing}#1`, `${keys.held}#1`]);
/** Per key, the sequences the handler was called with, and the effects that committed. */
const calls = new Map<string, number[]>();
const effects = new Map<string, number>();

const handlers: Handlers = {
  'booking.created': async (e, ctx) => {
    calls.set(e.aggregateId, [...(calls.get(e.aggregateId) ?? []), e.sequence]);
    if (broken.has(`${e.aggregateId}#${e.sequence}`)) throw new Error(`handler broken for ${e.aggregateId}`);
    const once = await processOnce(pool, ctx.group, e.id, async () => {
      effects.set(e.aggregateId, (effects.get(e.aggregateId) ?? 0) + 1);
    });
    return once.duplicate ? skip('duplicate') : undefined;
  },
};

/** The test group as a definition, as `consumers/runtime/groups.ts` lists the real ones. */
const definition = (name: string, orderingOnFailure: 'continue' | 'block-key'): GroupDefinition => ({
  name,
  healthPort: 0,
  startAt: 'beginning',
  build: async () => ({ options: { handlers, retry, orderingOnFailure }, close: async () => {} }),
});

async function replay(o: Partial<ReplayCommandOptions> & { group: string; definition: GroupDefinition }) {
  const lines: string[] = [];
  const code = await replayCommand({
    config,
    env: process.env,
    kafka,
    registry,
    yes: false,
    logger: silent,
    log: (l) => lines.push(l),
    ...o,
  });
  return { code, out: lines.join('\n') };
}

async function pendingOf(g: string, t: string) {
  const partitions = await withAdmin(kafka, (admin) => deadLetterPartitions(admin, g, t));
  return {
    messages: partitions.reduce((n, p) => n + Number(p.high - p.low), 0),
    pending: partitions.reduce((n, p) => n + p.pending, 0),
  };
}

/** Runs a group over its topic until `count` records are dead-lettered, then stops it. */
async function failThrough(g: string, t: string, count: number, extra: Partial<ConsumerOptions>) {
  const c = defineConsumer({
    group: g,
    kafka,
    registry,
    logger: silent,
    fromBeginning: true,
    topicNames: { 'events.booking': t },
    retry,
    handlers,
    ...extra,
  });
  consumers.push(c);
  let dead = 0;
  c.events.on('dead-lettered', () => dead++);
  await c.start();
  await waitFor(() => dead >= count, { timeoutMs: 60_000, what: `${count} dead letters of ${g}` });
  await c.stop();
}

const created = (key: string, seq: number): BookingCreated => ({
  ...samples['booking.created'],
  bookingId: randomUUID(),
  reference: `${key}#${seq}`,
});

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  const id = await schemaIds.idFor('booking.created');
  const event = (key: string, seq: number) =>
    eventMessage('booking.created', key, seq, created(key, seq), id);
  await createTopic(kafka, topic, 2);
  await createTopic(kafka, blockTopic, 2);
  await produce(kafka, topic, [
    event(keys.good, 1),
    event(keys.failing, 1),
    // Not Confluent framing at all: poison, whatever the handler does.
    {
      key: keys.poison,
      value: Buffer.from('not avro'),
      headers: envelope('booking.created', keys.poison, 1),
    },
  ]);
  await produce(kafka, blockTopic, [event(keys.held, 1), event(keys.held, 2)]);
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()));
  await deleteTopics(kafka, [topic, dlq, blockTopic, blockDlq]);
  const groups = [group, blockGroup, replayCursorGroup(group), replayCursorGroup(blockGroup)];
  await withAdmin(kafka, (admin) => admin.deleteGroups(groups)).catch(() => {});
  await pool.query('DELETE FROM processed_events WHERE consumer_group = ANY($1)', [[group, blockGroup]]);
  await pool.query('DELETE FROM consumer_blocked_keys WHERE consumer_group = $1', [blockGroup]);
  await pool.end();
});

describe('dead letters', () => {
  it('dlq list counts them and decodes why, where from and which event', async () => {
    await failThrough(group, topic, 2, {});
    expect(effects.get(keys.good)).toBe(1);

    const listing = await listDeadLetters(kafka, { group, show: 10, payloadsFrom: registry });
    expect(listing.topics).toHaveLength(1);
    const t = listing.topics[0]!;
    expect(t).toMatchObject({ topic: dlq, source: topic, group, messages: 2, pending: 2 });
    const byKey = new Map(t.last!.map((d) => [d.original.key, d]));
    expect(byKey.get(keys.failing)).toMatchObject({
      reason: 'retries-exhausted',
      group,
      attempts: 2,
      error: { class: 'Error', code: null, message: `handler broken for ${keys.failing}` },
      original: { topic, offset: expect.stringMatching(/^\d+$/) },
      event: { type: 'booking.created', aggregateId: keys.failing, sequence: '1' },
      value: { schemaId: await schemaIds.idFor('booking.created') },
      payload: { reference: `${keys.failing}#1` },
    });
    expect(byKey.get(keys.poison)).toMatchObject({
      reason: 'poison',
      attempts: 0,
      error: { class: 'SchemaDecodeError', code: ErrorCode.schemaDecode },
      value: { bytes: 8, schemaId: null },
      payloadError: expect.any(String),
    });
    const text = formatDeadLetterListing(listing).join('\n');
    expect(text).toContain('retries exhausted: the handler kept failing');
    expect(text).toContain(`error     Error: handler broken for ${keys.failing}`);
    expect(text).toContain('poison: the record cannot be decoded');

    // A test group's dead letters stay out of the default listing.
    const all = await listDeadLetters(kafka);
    expect(all.topics.map((x) => x.topic)).not.toContain(dlq);
    expect(all.hidden).toBeGreaterThanOrEqual(1);

    const cli = await promisify(execFile)(process.execPath, [
      path.join(import.meta.dirname, '..', 'main.ts'),
      ...['dlq', 'list', '--group', group, '--show', '1', '--json'],
    ]);
    expect(JSON.parse(cli.stdout)).toMatchObject({ topics: [{ topic: dlq, messages: 2, last: [{}] }] });
  });

  it('dlq replay only prints its plan without --yes', async () => {
    const before = calls.get(keys.failing)?.length;
    const { code, out } = await replay({ group, definition: definition('test-ops', 'continue') });
    expect(code).toBe(0);
    expect(out).toContain(`${dlq}: 2 dead letter(s) to replay`);
    expect(out).toMatch(/by reason: (retries-exhausted 1, poison 1|poison 1, retries-exhausted 1)/);
    expect(out).toContain('dry run: nothing was replayed');
    expect(calls.get(keys.failing)?.length).toBe(before);
    expect(await pendingOf(group, dlq)).toEqual({ messages: 2, pending: 2 });
  });

  it('dlq replay --yes runs them through the fixed handlers once; poison fails again', async () => {
    broken.clear();
    const before = calls.get(keys.failing)!.length;
    const first = await replay({ group, definition: definition('test-ops', 'continue'), yes: true });
    // The poison record cannot ever decode: it is dead-lettered again (exit 3 says so).
    expect(first.code).toBe(3);
    expect(first.out).toContain(`${dlq}: replayed 2 — 1 processed, 0 skipped, 1 failed again`);
    expect(first.out).toMatch(/poison — SchemaDecodeError \[SCHEMA_DECODE\]/);
    expect(calls.get(keys.failing)!.length).toBe(before + 1);
    expect(effects.get(keys.failing)).toBe(1);
    // The cursor passed both; the poison record's new dead letter is the only one pending.
    expect(await pendingOf(group, dlq)).toEqual({ messages: 3, pending: 1 });

    // The next replay starts at the cursor: the fixed record is not handed over again.
    const second = await replay({ group, definition: definition('test-ops', 'continue'), yes: true });
    expect(second.out).toContain(`${dlq}: replayed 1 — 0 processed, 0 skipped, 1 failed again`);
    expect(calls.get(keys.failing)!.length).toBe(before + 1);

    // Replayed from the start on purpose, it reaches the handler again, and processOnce absorbs it.
    const again = await replay({
      group,
      definition: definition('test-ops', 'continue'),
      yes: true,
      fromStart: true,
    });
    expect(again.out).toContain(`${dlq}: replayed 4 — 0 processed, 1 skipped, 3 failed again`);
    expect(calls.get(keys.failing)!.length).toBe(before + 2);
    expect(effects.get(keys.failing)).toBe(1);
  });

  it('block-key: release-key refuses while the key has dead letters to replay, then releases it', async () => {
    broken.add(`${keys.held}#1`);
    const blockedKeys = createPgBlockedKeyStore(pool);
    await failThrough(blockGroup, blockTopic, 2, { orderingOnFailure: 'block-key', blockedKeys });
    const listing = await listDeadLetters(kafka, { group: blockGroup, show: 5 });
    expect(listing.topics[0]!.last!.map((d) => `${d.event.sequence}:${d.reason}`).sort()).toEqual([
      '1:retries-exhausted',
      '2:blocked',
    ]);
    expect((await listBlockedKeys(pool, blockGroup)).map((b) => b.key)).toEqual([keys.held]);

    const o = { group: blockGroup, topic: blockTopic, key: keys.held };
    const refused = await releaseKey(pool, kafka, o);
    expect(refused).toMatchObject({ result: 'refused', pending: [{}, {}] });

    broken.clear();
    calls.delete(keys.held);
    const r = await replay({ group: blockGroup, definition: definition('test-ops', 'block-key'), yes: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${blockDlq}: replayed 2 — 2 processed, 0 skipped, 0 failed again`);
    expect(r.out).toContain(
      `npm run dlq -- release-key --group ${blockGroup} --topic ${blockTopic} --key ${keys.held}`,
    );
    // In the key's order, each once.
    expect(calls.get(keys.held)).toEqual([1, 2]);
    expect(effects.get(keys.held)).toBe(2);

    expect(await releaseKey(pool, kafka, o)).toMatchObject({ result: 'released' });
    expect(await releaseKey(pool, kafka, o)).toEqual({ result: 'not-blocked' });
    expect(await listBlockedKeys(pool, blockGroup)).toEqual([]);
  });

  it('refuses a topic that is not the group’s dead-letter topic', async () => {
    const wrong = await replay({
      group,
      topic: 'events.room',
      definition: definition('x', 'continue'),
    }).catch((e: unknown) => e);
    expect(isOutstreamError(wrong, ErrorCode.invalidArgument)).toBe(true);
    expect((wrong as Error).message).toContain('--topic events.room: not a dead-letter topic of group');
    const other = await replayDeadLetters({
      group,
      deadLetterTopic: blockDlq,
      handlers,
      kafka,
      registry,
    }).catch((e: unknown) => e);
    expect(isOutstreamError(other, ErrorCode.config)).toBe(true);
    expect((other as Error).message).toContain(`must be a dead-letter topic of group ${group}`);
  });
});
