import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { withTx } from '../../test/db.ts';
import { killHard, spawnGroup, stopChild } from '../../test/groups.ts';
import { freePort } from '../../test/ports.ts';
import { resetGroupToEnd } from '../framework/index.ts';

// Two groups as real processes, SIGKILLed in the middle of a stream and restarted: Kafka
// redelivers everything after the last committed offsets, and neither the inbox nor the
// analytics totals may count anything twice (or miss anything).
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const emitter = createEmitter({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
const run = randomUUID().slice(0, 8);
const hotelId = `crash-${run}`;
const suffix = 'crash-test';
// Health ports are picked free per run (see test/ports.ts).
const ports = { notifications: 0, analytics: 0 };
const messages = 160;
const recipientsPer = 2;
let pool: pg.Pool;
const children: ChildProcess[] = [];

function start(name: keyof typeof ports): ChildProcess {
  const child = spawnGroup(name, {
    OUTSTREAM_GROUP_SUFFIX: suffix,
    OUTSTREAM_START_AT: 'end',
    OUTSTREAM_HEALTH_PORT: String(ports[name]),
  });
  children.push(child);
  return child;
}

async function healthy(name: keyof typeof ports) {
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${ports[name]}/health`).catch(() => undefined))?.ok,
    { timeoutMs: 90_000, intervalMs: 250, what: `${name} to join its group` },
  );
}

function message(): AnyEmitInput {
  const conversationId = randomUUID();
  return {
    type: 'message.created',
    aggregateId: conversationId,
    payload: {
      ...samples['message.created'],
      messageId: randomUUID(),
      conversationId,
      hotelId,
      recipientIds: [randomUUID(), randomUUID()],
    },
  };
}

async function inboxRows(ids: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM notifications WHERE source_event_id = ANY($1::uuid[])',
    [ids],
  );
  return Number(rows[0]!.n);
}

async function counted(): Promise<number> {
  const { rows } = await pool.query<{ n: string | null }>(
    'SELECT sum(events) AS n FROM analytics.events_hourly WHERE hotel_id = $1',
    [hotelId],
  );
  return Number(rows[0]!.n ?? 0);
}

/** True once the group has committed everything up to the end of `topic`. */
async function caughtUp(group: string, topic: string): Promise<boolean> {
  return kafka.withAdmin(async (admin) => {
    const committed = await admin.committedOffsets(group, [topic]);
    const ends = await admin.partitionBounds(topic);
    return ends.every((e) => {
      const c = committed.find((p) => p.partition === e.partition)?.offset;
      return e.high === 0n || c === e.high;
    });
  });
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url });
  ports.notifications = await freePort();
  ports.analytics = await freePort();
  // The suffixed groups are reused from run to run: start them at the current end.
  await resetGroupToEnd(kafka, `notifications.${suffix}`, [
    'events.booking',
    'events.message',
    'events.user',
  ]);
  await resetGroupToEnd(kafka, `analytics.${suffix}`, [
    'events.booking',
    'events.room',
    'events.message',
    'events.user',
    'events.notification',
  ]);
});
afterAll(async () => {
  await Promise.all(children.map(stopChild));
  await pool?.end();
});

describe('SIGKILL mid-stream', () => {
  it('redelivery after a crash writes no duplicate inbox row and double-counts no analytics total', async () => {
    let notif = start('notifications');
    let analytics = start('analytics');
    await Promise.all([healthy('notifications'), healthy('analytics')]);

    const ids: string[] = [];
    const emitSome = async (n: number) => {
      for (let i = 0; i < n; i += 10) {
        const batch = Array.from({ length: Math.min(10, n - i) }, message);
        const emitted = await withTx(pool, (tx) => emitter.emitMany(tx, batch));
        ids.push(...emitted.map((e) => e.eventId));
      }
    };
    await emitSome(messages / 2);
    // Kill both while they are busy: some events handled, some in flight, offsets behind.
    await waitFor(async () => (await inboxRows(ids)) >= 20 && (await counted()) >= 10, {
      timeoutMs: 60_000,
      intervalMs: 10,
      what: 'the groups to be mid-stream',
    });
    await Promise.all([killHard(notif), killHard(analytics)]);
    const atKill = { inbox: await inboxRows(ids), counted: await counted() };
    await emitSome(messages / 2);

    notif = start('notifications');
    analytics = start('analytics');
    await waitFor(
      async () => (await inboxRows(ids)) >= messages * recipientsPer && (await counted()) >= messages,
      {
        timeoutMs: 120_000,
        what: 'every event to be handled after the restart',
      },
    );
    // Everything redelivered has been handled once the committed offsets reach the end.
    await waitFor(
      async () =>
        (await caughtUp(`notifications.${suffix}`, 'events.message')) &&
        (await caughtUp(`analytics.${suffix}`, 'events.message')),
      { timeoutMs: 60_000, what: 'the groups to commit to the end' },
    );
    expect(atKill.inbox).toBeLessThan(messages * recipientsPer);
    expect(atKill.counted).toBeLessThan(messages);
    expect(await inboxRows(ids)).toBe(messages * recipientsPer);
    expect(await counted()).toBe(messages);
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM analytics.counted_events WHERE event_id = ANY($1::uuid[])',
      [ids],
    );
    expect(Number(rows[0]!.n)).toBe(messages);
  });
});
