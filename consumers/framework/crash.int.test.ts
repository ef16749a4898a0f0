import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { withTx } from '../../test/db.ts';
import { startGroupAtEnd } from './test-fixtures/kafka.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const emitter = createEmitter({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
const script = path.join(import.meta.dirname, 'test-fixtures', 'crash-consumer.ts');
const aggregates = 60;
const perAggregate = 50;
const total = aggregates * perAggregate;
let pool: pg.Pool;
const children: ChildProcess[] = [];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  await pool.query(`CREATE TABLE IF NOT EXISTS consumer_test_deliveries (
    run text NOT NULL, event_id uuid NOT NULL, aggregate_id text NOT NULL, sequence int NOT NULL, pid int NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await pool.query(
    'CREATE TABLE IF NOT EXISTS consumer_test_effects (run text NOT NULL, event_id uuid NOT NULL)',
  );
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await pool.end();
});

/** Starts the consumer process; resolves once it has joined the group. */
async function startChild(group: string, run: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, CRASH_GROUP: group, CRASH_RUN: run },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(() => out.includes('ready'), {
    timeoutMs: 90_000,
    what: 'the consumer process to join',
    abort: () => (child.exitCode !== null ? `it exited with ${child.exitCode}` : undefined),
  });
  return child;
}

const count = async (sql: string, run: string) => Number((await pool.query(sql, [run])).rows[0].n);

describe('crash safety', () => {
  it('handles every event at least once, and with processOnce exactly once, across a SIGKILL', async () => {
    const run = `crash-${randomUUID().slice(0, 8)}`;
    const group = `test-${run}`;
    await startGroupAtEnd(kafka, group, ['events.booking']);
    const first = await startChild(group, run);

    const events: AnyEmitInput[] = [];
    for (let seq = 1; seq <= perAggregate; seq++) {
      for (let a = 0; a < aggregates; a++) {
        const aggregateId = `${run}-${a}`;
        const bookingId = randomUUID();
        events.push(
          seq === 1
            ? { type: 'booking.created', aggregateId, payload: { ...samples['booking.created'], bookingId } }
            : {
                type: 'booking.confirmed',
                aggregateId,
                payload: { ...samples['booking.confirmed'], bookingId },
              },
        );
      }
    }
    for (let i = 0; i < events.length; i += 500) {
      await withTx(pool, (tx) => emitter.emitMany(tx, events.slice(i, i + 500)));
    }

    const deliveries = 'SELECT count(*) AS n FROM consumer_test_deliveries WHERE run = $1';
    await waitFor(async () => (await count(deliveries, run)) >= total * 0.2, {
      timeoutMs: 90_000,
      intervalMs: 20,
      what: '20% of the events handled',
    });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeCrash = await count(deliveries, run);
    expect(beforeCrash).toBeLessThan(total);

    await startChild(group, run);
    const distinct = 'SELECT count(DISTINCT event_id) AS n FROM consumer_test_deliveries WHERE run = $1';
    await waitFor(async () => (await count(distinct, run)) >= total, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: `all ${total} events handled after the restart`,
    });

    // At least once: every event, in order per aggregate within each process.
    expect(await count(distinct, run)).toBe(total);
    const { rows: gaps } = await pool.query(
      `SELECT aggregate_id, pid, array_agg(sequence ORDER BY at) AS seqs FROM consumer_test_deliveries
        WHERE run = $1 GROUP BY aggregate_id, pid`,
      [run],
    );
    for (const g of gaps) {
      const seqs = g.seqs as number[];
      expect(seqs, `${g.aggregate_id} in pid ${g.pid}`).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Exactly once: the effects written in the claim's transaction.
    const effects = await count('SELECT count(*) AS n FROM consumer_test_effects WHERE run = $1', run);
    const effectsDistinct = await count(
      'SELECT count(DISTINCT event_id) AS n FROM consumer_test_effects WHERE run = $1',
      run,
    );
    const all = await count(deliveries, run);
    console.log(
      `[crash] ${total} events; killed after ${beforeCrash} deliveries; ${all} deliveries in all ` +
        `(${all - total} redelivered after the crash); ${effects} effects`,
    );
    expect(effectsDistinct).toBe(total);
    expect(effects).toBe(total);
  }, 300_000);
});
