import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { loadConfig } from '../core/config.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { waitFor } from '../core/wait.ts';
import { samples } from '../schemas/index.ts';
import { type Capture, captureTopics } from '../test/capture.ts';
import { withTx } from '../test/db.ts';
import { killHard, stopChild } from '../test/groups.ts';
import { freePort } from '../test/ports.ts';
import { createScheduler, createSchemaIds } from './index.ts';

// Two dispatchers as real processes (`npm run dispatcher`) work through a backlog of due
// events; one is SIGKILLed while it holds a claim. Read back from Kafka with the port's
// reader: every event published exactly once, every aggregate's sequence 1…n without gaps.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const { schedule } = createScheduler({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
const aggregates = 100;
const perAggregate = 10;
const main = path.join(import.meta.dirname, 'dispatcher-main.ts');
let pool: pg.Pool;
let capture: Capture;
const children: ChildProcess[] = [];

function spawnDispatcher(name: string, port: number): ChildProcess {
  const url = new URL(config.database.url);
  url.searchParams.set('application_name', name);
  const child = spawn(process.execPath, [main, '--batch-size', '50', '--health-port', String(port)], {
    env: { ...process.env, DATABASE_URL: url.toString(), OUTSTREAM_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

const health = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.json() as Promise<
    { status: string; dispatcher: { published: number; listening: boolean } } | undefined
  >;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 8 });
  capture = await captureTopics(kafka, ['events.booking']);
});
afterAll(async () => {
  await Promise.all(children.map(stopChild));
  await capture?.stop();
  await pool?.end();
});

describe('two dispatchers, one SIGKILLed mid-batch', () => {
  it('publishes each due event exactly once, in sequence per aggregate', async () => {
    const run = randomUUID().slice(0, 8);
    const ports = [await freePort(), await freePort()] as const;
    const victim = spawnDispatcher(`dispatcher-victim-${run}`, ports[0]);
    spawnDispatcher(`dispatcher-survivor-${run}`, ports[1]);
    for (const port of ports) {
      await waitFor(async () => (await health(port))?.dispatcher.listening, {
        timeoutMs: 60_000,
        what: `the dispatcher on ${port} to listen`,
      });
    }
    // The backlog: written for later (scheduling takes a while on a loaded machine), then made
    // due all at once by one UPDATE (whose trigger wakes both dispatchers).
    const ids = Array.from({ length: aggregates }, () => randomUUID());
    const expected = new Set<string>();
    for (let a = 0; a < aggregates; a += 20) {
      await withTx(pool, async (tx) => {
        for (const id of ids.slice(a, a + 20)) {
          for (let n = 0; n < perAggregate; n++) {
            const s = await schedule(
              tx,
              {
                type: 'booking.reminder_due',
                aggregateId: id,
                payload: { ...samples['booking.reminder_due'], bookingId: id, reference: `${run}-${n}` },
              },
              { in: 3_600_000 },
            );
            expected.add(s.eventId);
          }
        }
      });
    }
    await pool.query('UPDATE scheduled_events SET due_at = now() WHERE event_id = ANY($1::uuid[])', [
      [...expected],
    ]);
    // Kill the victim while it holds an open claim transaction.
    const inTransaction = await waitFor(
      async () =>
        (
          await pool.query(
            `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL
               AND EXISTS (SELECT 1 FROM scheduled_events WHERE due_at <= now())`,
            [`dispatcher-victim-${run}`],
          )
        ).rowCount,
      { timeoutMs: 30_000, intervalMs: 2, what: 'the victim to hold a claim' },
    );
    expect(inTransaction).toBe(1);
    await killHard(victim);
    const left = await pool.query('SELECT count(*)::int AS n FROM scheduled_events WHERE due_at <= now()');
    // The survivor still had work when the victim died, and finishes it.
    expect(left.rows[0].n).toBeGreaterThan(0);
    await capture.until(
      (ms) =>
        ms.filter((m) => expected.has(m.headers[envelopeHeaders.eventId] ?? '')).length >= expected.size,
      120_000,
      `${expected.size} scheduled events on events.booking`,
    );
    // Anything published twice would come in after the last one: wait for the pipeline to settle.
    const s = await withTx(pool, (tx) =>
      schedule(
        tx,
        {
          type: 'booking.reminder_due',
          aggregateId: randomUUID(),
          payload: samples['booking.reminder_due'],
        },
        { in: 0 },
      ),
    );
    await capture.until((ms) => ms.some((m) => m.headers[envelopeHeaders.eventId] === s.eventId));

    const mine = capture.messages.filter((m) => expected.has(m.headers[envelopeHeaders.eventId] ?? ''));
    const eventIds = mine.map((m) => m.headers[envelopeHeaders.eventId]);
    expect(eventIds).toHaveLength(expected.size);
    expect(new Set(eventIds).size).toBe(expected.size);
    for (const id of ids) {
      const seqs = mine.filter((m) => m.key === id).map((m) => Number(m.headers[envelopeHeaders.sequence]));
      expect(seqs).toEqual(Array.from({ length: perAggregate }, (_, i) => i + 1));
    }
    const survivor = await health(ports[1]);
    expect(survivor?.status).toBe('ok');
  });
});
