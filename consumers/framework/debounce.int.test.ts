import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { withTx } from '../../test/db.ts';
import { type Consumer, defineConsumer } from './define-consumer.ts';
import type { Coalesced } from './handler.ts';
import { startGroupAtEnd } from './test-fixtures/kafka.ts';

// The same behaviours as debounce.test.ts, through the real path: emit() → outbox → Debezium →
// Kafka → the framework.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const registry = createSchemaRegistry({ url: config.registry.url });
const emitter = createEmitter({ schemaIds: createSchemaIds(registry) });
const script = path.join(import.meta.dirname, 'test-fixtures', 'debounce-consumer.ts');
const hotelId = randomUUID();
let pool: pg.Pool;
const consumers: Consumer[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  await pool.query(`CREATE TABLE IF NOT EXISTS consumer_test_debounce_runs (
    run text NOT NULL, aggregate_id text NOT NULL, count int NOT NULL, first_sequence int,
    last_sequence int NOT NULL, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(consumers.map((c) => c.stop()));
  await pool.end();
});

const statusChanged = (roomId: string): AnyEmitInput => ({
  type: 'room.status_changed',
  aggregateId: roomId,
  payload: { ...samples['room.status_changed'], roomId, hotelId },
});
const occupancyChanged = (roomId: string): AnyEmitInput => ({
  type: 'room.occupancy_changed',
  aggregateId: roomId,
  payload: { ...samples['room.occupancy_changed'], roomId, hotelId },
});
const emit = (events: AnyEmitInput[]) => withTx(pool, (tx) => emitter.emitMany(tx, events));

interface Run extends Coalesced {
  room: string;
  sequence: number;
  partition: number;
  at: number;
}

/** A consumer whose `room.status_changed` handler is debounced; `room.occupancy_changed` is not. */
async function startConsumer(run: string, quietMs: number, maxWaitMs: number) {
  const runs: Run[] = [];
  const plain: { room: string; at: number }[] = [];
  const commits: { partition: number; offset: bigint; at: number }[] = [];
  const group = `test-debounce-${run}`;
  const consumer = defineConsumer({
    group,
    kafka,
    registry,
    logger: pino({ level: 'warn' }),
    handlers: {
      'room.status_changed': {
        debounce: { quietMs, maxWaitMs },
        handle: async (e, { coalesced }) => {
          if (e.aggregateId.startsWith(run))
            runs.push({
              ...coalesced,
              room: e.aggregateId,
              sequence: e.sequence,
              partition: e.kafka.partition,
              at: Date.now(),
            });
        },
      },
      'room.occupancy_changed': async (e) => {
        if (e.aggregateId.startsWith(run)) plain.push({ room: e.aggregateId, at: Date.now() });
      },
    },
  });
  consumer.events.on('committed', (c) => {
    if (c.topic === 'events.room') commits.push({ partition: c.partition, offset: c.offset, at: Date.now() });
  });
  await startGroupAtEnd(kafka, group, consumer.topics);
  await consumer.start();
  consumers.push(consumer);
  return { consumer, runs, plain, commits };
}

describe('debounced handlers on the real stack', () => {
  it('runs 100 events of one room once, with the last; other rooms are not held back; commits wait for the run', async () => {
    const run = `db-${randomUUID().slice(0, 8)}`;
    const { consumer, runs, plain, commits } = await startConsumer(run, 3_000, 20_000);
    const busy = `${run}-busy`;
    await emit(Array.from({ length: 100 }, () => statusChanged(busy)));
    await waitFor(() => consumer.status().held === 100, { timeoutMs: 60_000, what: '100 held events' });

    // Another room, while the busy room's window is open: handled at once.
    const other = `${run}-other`;
    await emit([occupancyChanged(other)]);
    await waitFor(() => plain.length === 1, { timeoutMs: 60_000, what: 'the other room' });
    expect(runs).toEqual([]);

    await waitFor(() => runs.length === 1, { timeoutMs: 60_000, what: 'the coalesced run' });
    const [r] = runs;
    expect(r).toMatchObject({ room: busy, count: 100, firstSequence: 1, sequence: 100 });
    expect(r!.lastOffset - r!.firstOffset).toBe(99n);
    expect(plain[0]!.at).toBeLessThan(r!.at);
    // Nothing of the busy room's partition was committed past its first event before the run.
    for (const c of commits.filter((c) => c.partition === r!.partition && c.at < r!.at))
      expect(c.offset).toBeLessThanOrEqual(r!.firstOffset);
    await waitFor(() => commits.some((c) => c.partition === r!.partition && c.offset > r!.lastOffset), {
      timeoutMs: 30_000,
      what: 'the commit after the run',
    });
    // Quiet afterwards: no second run.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(runs).toHaveLength(1);
  }, 180_000);

  it('bounds a room that is never quiet by maxWaitMs: it runs while the stream goes on, and every event is stood for', async () => {
    const run = `ds-${randomUUID().slice(0, 8)}`;
    const { runs } = await startConsumer(run, 1_500, 4_000);
    const room = `${run}-stream`;
    let emitted = 0;
    let runsWhileStreaming = 0;
    // One event every ~100 ms — never 1.5 s of quiet — for up to 20 s, until a run came.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && runs.length === 0) {
      await emit([statusChanged(room)]);
      emitted++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    runsWhileStreaming = runs.length;
    // A few more, so the stream is still going past the first run.
    for (let i = 0; i < 5; i++) {
      await emit([statusChanged(room)]);
      emitted++;
    }
    expect(runsWhileStreaming).toBeGreaterThan(0);
    await waitFor(() => runs.reduce((n, r) => n + r.count, 0) >= emitted, {
      timeoutMs: 60_000,
      what: `runs standing for all ${emitted} events`,
    });
    expect(runs.reduce((n, r) => n + r.count, 0)).toBe(emitted);
    expect(runs[0]!.count).toBeGreaterThan(1);
    expect(runs.at(-1)!.sequence).toBe(emitted);
    // The windows follow each other: each run starts where the previous one ended.
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.firstSequence).toBe(runs[i - 1]!.sequence + 1);
  }, 180_000);

  it('a graceful stop runs the open window early, before it resolves', async () => {
    const run = `dg-${randomUUID().slice(0, 8)}`;
    const { consumer, runs } = await startConsumer(run, 50_000, 55_000);
    const room = `${run}-stop`;
    await emit(Array.from({ length: 10 }, () => statusChanged(room)));
    await waitFor(() => consumer.status().held === 10, { timeoutMs: 60_000, what: '10 held events' });
    expect(runs).toEqual([]);
    await consumer.stop();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ room, count: 10, firstSequence: 1, sequence: 10 });
  }, 180_000);

  it('a crash mid-window loses nothing: the run happens after the restart', async () => {
    const run = `dc-${randomUUID().slice(0, 8)}`;
    const group = `test-debounce-${run}`;
    await startGroupAtEnd(kafka, group, ['events.room']);
    const first = await startChild(group, run);
    const room = `${run}-crash`;
    await emit(Array.from({ length: 20 }, () => statusChanged(room)));
    await waitFor(() => first.output.includes('held 20\n'), { timeoutMs: 60_000, what: '20 held events' });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const runsOf = async () =>
      (
        await pool.query(
          'SELECT count, first_sequence, last_sequence, pid FROM consumer_test_debounce_runs WHERE run = $1 ORDER BY at',
          [run],
        )
      ).rows as { count: number; first_sequence: number; last_sequence: number; pid: number }[];
    expect(await runsOf()).toEqual([]);

    const second = await startChild(group, run);
    await waitFor(async () => (await runsOf()).length > 0, {
      timeoutMs: 90_000,
      what: 'the run after restart',
    });
    expect(await runsOf()).toEqual([
      { count: 20, first_sequence: 1, last_sequence: 20, pid: second.child.pid },
    ]);
  }, 240_000);
});

/** Starts the debounce consumer process; resolves once it has joined the group. */
async function startChild(group: string, run: string) {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      DEBOUNCE_GROUP: group,
      DEBOUNCE_RUN: run,
      DEBOUNCE_QUIET_MS: '3000',
      DEBOUNCE_MAX_WAIT_MS: '30000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const state = { child, output: '' };
  child.stdout!.on('data', (d: Buffer) => {
    state.output += d.toString();
  });
  await waitFor(() => state.output.includes('ready'), {
    timeoutMs: 90_000,
    what: 'the consumer process to join',
    abort: () => (child.exitCode !== null ? `it exited with ${child.exitCode}` : undefined),
  });
  return state;
}
